/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kconf.c: librdkafka configuration shared by the consumer and the producer (see kconf.h).
 */
#include "kconf.h"

#include <stdio.h>
#include <string.h>

bool kconf_set(rd_kafka_conf_t *k, const char *name, const char *value, char *err, size_t err_len)
{
    char kerr[256];
    if (rd_kafka_conf_set(k, name, value, kerr, sizeof(kerr)) == RD_KAFKA_CONF_OK)
        return true;
    /* librdkafka's message may quote the value: for a secret, name the property only */
    if (dcfg_is_secret(name))
        snprintf(err, err_len, "kafka property %s: refused by librdkafka", name);
    else
        snprintf(err, err_len, "kafka property %s: %s", name, kerr);
    return false;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    vlog *lg = rd_kafka_opaque(rk) ? *(vlog **)rd_kafka_opaque(rk) : NULL;
    vlog_level lv = level <= 3   ? VLOG_ERROR
                    : level <= 4 ? VLOG_WARN
                    : level <= 6 ? VLOG_INFO
                                 : VLOG_DEBUG;
    vlog_rec r;
    if (lg && vlog_begin(lg, &r, lv, "kafka")) {
        vlog_str(&r, "client", rd_kafka_name(rk));
        vlog_str(&r, "facility", fac);
        vlog_str(&r, "detail", buf);
        vlog_end(&r);
    }
}

rd_kafka_conf_t *kconf_new(const dcfg *c, const char *const *defaults, char *err, size_t err_len)
{
    rd_kafka_conf_t *k = rd_kafka_conf_new();
    if (!k) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    bool ok = kconf_set(k, "bootstrap.servers", c->brokers, err, err_len);
    for (size_t i = 0; ok && defaults && defaults[i] && defaults[i + 1]; i += 2)
        ok = kconf_set(k, defaults[i], defaults[i + 1], err, err_len);
    for (size_t i = 0; ok && i < c->n_props; i++)
        ok = kconf_set(k, c->props[i].name, c->props[i].value, err, err_len);
    if (!ok) {
        rd_kafka_conf_destroy(k);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(k, log_cb);
    return k;
}
