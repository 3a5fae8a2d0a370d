#include <stdio.h>
#include <stdlib.h>
#include "cluster_history.h"

static int by_start(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

int cluster_history_overlaps(const json_t *h, int *changes)
{
    size_t n = json_array_size(h);
    int64_t (*rec)[3] = calloc(n ? n : 1, sizeof *rec);
    size_t i;
    json_t *e;
    json_array_foreach(h, i, e) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        rec[i][0] = json_integer_value(json_object_get(raw, "start"));
        rec[i][1] = json_integer_value(json_object_get(raw, "end"));
        rec[i][2] = json_integer_value(json_object_get(raw, "term"));
    }
    qsort(rec, n, sizeof *rec, by_start);
    int terms = 0, bad = 0;
    for (i = 0; i < n; i++) {
        if (rec[i][2] < 1) { bad++; fprintf(stderr, "    iteration %zu has no term\n", i); }
        if (i && rec[i][2] != rec[i - 1][2]) terms++;
        if (i && rec[i][2] < rec[i - 1][2]) { bad++; fprintf(stderr, "    term went back at %zu\n", i); }
        for (size_t j = 0; j < i; j++)
            if (rec[j][2] != rec[i][2] && rec[j][1] > rec[i][0]) {
                bad++;
                fprintf(stderr, "    overlap: term %lld [%lld,%lld] vs term %lld [%lld,%lld]\n", (long long)rec[j][2],
                        (long long)rec[j][0], (long long)rec[j][1], (long long)rec[i][2], (long long)rec[i][0], (long long)rec[i][1]);
            }
    }
    free(rec);
    if (changes) *changes = terms;
    return bad;
}
