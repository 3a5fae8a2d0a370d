/* The built-in templates as JSON (the table itself is generated at build time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ami/templates.h"
#include "core/core.h"
#include "util/util.h"
#include "templates/templates_internal.h"

static json_t *to_json(const ami__template_def *t)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", t->name, "title", t->title, "category", t->category,
                     "executionMode", t->execution_mode, "priority", t->priority, "mode", t->mode,
                     "description", t->description, "script", t->script);
}

static const ami__template_def *find(const char *name)
{
    for (size_t i = 0; i < ami__templates_count; i++)
        if (!strcmp(ami__templates[i].name, name)) return &ami__templates[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const ami__template_def *const *)a)->name, (*(const ami__template_def *const *)b)->name);
}

int ami_template_list(json_t **out)
{
    if (!out) return ami__error_set(AMI_EINVAL, "template_list: out is required");
    *out = NULL;
    const ami__template_def *sorted[64];
    size_t n = ami__templates_count < 64 ? ami__templates_count : 64;
    for (size_t i = 0; i < n; i++) sorted[i] = &ami__templates[i];
    qsort(sorted, n, sizeof sorted[0], by_name);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, to_json(sorted[i]))) { json_decref(arr); arr = NULL; }
    if (!arr) return ami__error_oom();
    *out = arr;
    return 0;
}

int ami_template_get(json_t **out, const char *name)
{
    if (!out || !name) return ami__error_set(AMI_EINVAL, "template_get: out and name are required");
    *out = NULL;
    const ami__template_def *t = find(name);
    if (!t) {
        char known[1024] = "";
        size_t len = 0;
        for (size_t i = 0; i < ami__templates_count && len < sizeof known; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", ami__templates[i].name);
        return ami__error_set(AMI_ENOTFOUND, "no template '%s' (known: %s)", name, known);
    }
    if (!(*out = to_json(t))) return ami__error_oom();
    return 0;
}

int ami_template_worker_body(json_t **out, const char *name)
{
    if (!out || !name) return ami__error_set(AMI_EINVAL, "template_worker_body: out and name are required");
    *out = NULL;
    const ami__template_def *t = find(name);
    if (!t) {
        json_t *tmp = NULL;
        return ami_template_get(&tmp, name);  /* for its message */
    }
    if (!(*out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "scriptContent", t->script, "executionMode", t->execution_mode,
                           "priority", t->priority, "mode", t->mode, "note", t->title)))
        return ami__error_oom();
    return 0;
}
