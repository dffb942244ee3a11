/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kconf.h: the librdkafka configuration the daemon's consumer and producer start from:
 * kafka.brokers, every kafka.properties entry, and librdkafka's own log lines and errors sent
 * to the daemon's structured log (secrets are never logged).
 */
#ifndef VIGIL_SRC_KCONF_H
#define VIGIL_SRC_KCONF_H

#include "dconfig.h"
#include "vlog.h"

#include <librdkafka/rdkafka.h>

/* A new configuration: defaults (name, value, ..., NULL: what kafka.properties may change),
 * then kafka.properties. NULL with the offending property named in err. The log callback
 * finds the log through the handle's opaque: every handle made from the configuration sets
 * an opaque (rd_kafka_conf_set_opaque) whose first member is a `vlog *` (may be NULL). */
rd_kafka_conf_t *kconf_new(const dcfg *c, const char *const *defaults, char *err, size_t err_len);
/* Set one property; false (err filled, naming it) if librdkafka refuses it. */
bool kconf_set(rd_kafka_conf_t *k, const char *name, const char *value, char *err, size_t err_len);

#endif
