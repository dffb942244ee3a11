/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.h: `vigil run --config FILE`: the service. Events from Kafka topics (a consumer
 * group), alerts to a Kafka topic, correlation state and input offsets checkpointed in
 * Redis, metrics and health over HTTP, SIGHUP reloads the rules, SIGTERM drains and exits.
 * docs/daemon.md tells how it works; docs/configuration.md lists the settings.
 */
#ifndef VIGIL_SRC_DAEMON_H
#define VIGIL_SRC_DAEMON_H

#include "dconfig.h"

/* Run until SIGTERM/SIGINT (0) or a fatal error (1, logged). cfg must outlive the call. */
int daemon_run(const dcfg *cfg);

#endif
