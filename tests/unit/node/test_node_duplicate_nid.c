/* Claim: starting a second node with the nid of a live node warns on stderr. */
#include <fcntl.h>
#include "node_helpers.h"

static int stderr_mentions(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f)) found |= strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

int main(void)
{
    char db[512], log[512];
    snprintf(db, sizeof db, "%s", check_path("dup.db"));
    snprintf(log, sizeof log, "%s", check_path("stderr.txt"));
    ami_node *a = open_node(db, "s-0001", NULL);
    REQUIRE(ami_node_start(a) == 0);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    dup2(fd, 2);
    ami_node *other = open_node(db, "s-0002", NULL);   /* a different nid: no warning */
    REQUIRE(ami_node_start(other) == 0);
    fflush(stderr);
    int quiet = !stderr_mentions(log, "looks live");
    ami_node *b = open_node(db, "s-0001", NULL);
    REQUIRE(ami_node_start(b) == 0);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    CHECK(quiet);
    CHECK(stderr_mentions(log, "s-0001: another node with this nid looks live"));
    ami_node_free(b);
    ami_node_free(other);
    ami_node_free(a);
    return check_done();
}
