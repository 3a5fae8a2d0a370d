/* Internal: the template table, generated from lib/templates/NAME.js by scripts/js2c.sh --table
 * (fields in the order js2c fills them: name, the @-metadata in the Makefile's order, script). */
#ifndef AMI_TEMPLATES_INTERNAL_H
#define AMI_TEMPLATES_INTERNAL_H
#include <stddef.h>

typedef struct ami__template_def {
    const char *name, *title, *category, *execution_mode, *priority, *mode, *description, *script;
} ami__template_def;

extern const ami__template_def ami__templates[];
extern const size_t ami__templates_count;

#endif
