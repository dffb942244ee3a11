/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c: libFuzzer target: arbitrary bytes read as the service's configuration file
 * (dcfg_load_text: YAML tree, every key, bounds, environment substitution). The result is a
 * loaded configuration or one error message; any crash, leak, hang or sanitizer report is a
 * bug.
 */
#include "dconfig.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dcfg c;
    char err[512];
    err[0] = '\0';
    if (dcfg_load_text(&c, "/etc/vigil/fuzz.yml", (const char *)data, size, err, sizeof(err)) ==
        0) {
        /* everything loaded is readable */
        size_t n = 0;
        for (size_t i = 0; i < c.n_inputs; i++)
            n += strlen(c.inputs[i].topic);
        for (size_t i = 0; i < c.n_props; i++)
            n += strlen(c.props[i].name) + strlen(c.props[i].value);
        for (size_t i = 0; i < c.n_rules; i++)
            n += strlen(c.rules[i]);
        (void)n;
        dcfg_free(&c);
    } else if (err[0] == '\0') {
        __builtin_trap(); /* a refusal always says why */
    }
    return 0;
}
