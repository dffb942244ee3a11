/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rulesrc.h: building a ruleset from the command line's rule options: rule files and
 * directories, logsource/field mapping files (the built-in ones unless disabled),
 * placeholders. Shared by `vigil check` and `vigil run`.
 */
#ifndef VIGIL_SRC_RULESRC_H
#define VIGIL_SRC_RULESRC_H

#include "vigil/diag.h"
#include "vigil/ruleset.h"

#define RSRC_MAX 256

typedef struct rsrc_opts {
    const char *paths[RSRC_MAX];
    size_t n_paths;
    const char *logsource_files[RSRC_MAX];
    size_t n_logsource_files;
    const char *field_files[RSRC_MAX];
    size_t n_field_files;
    const char *placeholder_files[RSRC_MAX];
    size_t n_placeholder_files;
    const char *placeholders[RSRC_MAX]; /* NAME=V1,V2 */
    size_t n_placeholders;
    bool no_builtin; /* skip the built-in mappings */
} rsrc_opts;

/* Try to consume a rule option at argv[*i] (advancing *i past its value). Returns 1 if
 * consumed, 0 if not a rule option, -1 on a usage error (message printed). */
int rsrc_parse_opt(rsrc_opts *o, int argc, char **argv, int *i);

/* Help text lines for the rule options. */
extern const char rsrc_help[];

/* Build and finish the ruleset. Diagnostics go to d. *n_files gets the number of rule
 * files read. Returns NULL only when nothing could be built (I/O on every file, memory);
 * file-level I/O errors are recorded in d. */
vg_ruleset *rsrc_load(const rsrc_opts *o, vg_diags *d, size_t *n_files);

/* Print every diagnostic as "file:line:col: error|warning: msg [rule id]" to stderr.
 * With warnings false, only errors are printed. */
void rsrc_print_diags(const vg_diags *d, bool warnings);
/* Print "N errors, M warnings" and the errors grouped by reason. */
void rsrc_print_summary(const vg_diags *d);

#endif
