/*
 * amictl console [--url URL] [--key FILE] [--open]: the address of amid's web
 * console, logged in.  With a key it signs a fresh login (the key never leaves
 * this machine) and prints URL#session=TOKEN; the console moves the token into
 * the tab's sessionStorage and clears the fragment (fragments are not sent to
 * servers).  Without a key the node must be in open mode.
 */
#define _GNU_SOURCE 1
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "amictl.h"

extern char **environ;

int cmd_console(int argc, char **argv)
{
    int open_browser = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--url") && i + 1 < argc) amictl_opts.url = argv[++i];
        else if (!strcmp(argv[i], "--key") && i + 1 < argc) amictl_opts.key = argv[++i];
        else if (!strcmp(argv[i], "--open")) open_browser = 1;
        else return amictl_usage("console", "unexpected argument '%s'", argv[i]);
    }
    if (!amictl_opts.url) amictl_opts.url = "http://127.0.0.1:3000/";
    /* the console lives at the root: keep scheme://host:port/ */
    char base[1024];
    const char *hostpart = strstr(amictl_opts.url, "://");
    size_t n = hostpart ? (size_t)(strchrnul(hostpart + 3, '/') - amictl_opts.url) : strlen(amictl_opts.url);
    if (!hostpart || n + 2 > sizeof base) return amictl_usage("console", "--url must look like http://HOST:PORT/");
    memcpy(base, amictl_opts.url, n);
    base[n] = '/';
    base[n + 1] = '\0';
    amictl_opts.url = base;

    json_t *res = NULL;
    char url[1200];
    const char *role = "owner";
    if (amictl_opts.key) {
        if (amictl_remote_new_session(&res)) return AMICTL_FAIL;
        role = json_string_value(json_object_get(res, "role"));
        snprintf(url, sizeof url, "%s#session=%s", base, json_string_value(json_object_get(res, "session")));
    } else {
        int status = 0;
        if (amictl_remote_post(&res, &status, "getSession", NULL)) return AMICTL_FAIL;
        if (status == 401) {
            json_decref(res);
            return amictl_error("%s needs a login: give --key FILE (or AMI_KEY)", base);
        }
        if (status != 200) {
            json_decref(res);
            return amictl_error("%s answered HTTP %d to getSession (is it amid?)", base, status);
        }
        snprintf(url, sizeof url, "%s", base);
    }
    if (amictl_opts.json) {
        json_t *j = json_pack("{s:s,s:s}", "url", url, "role", role ? role : "viewer");
        amictl_print_json(j);
        json_decref(j);
    } else {
        printf("%s\n", url);
        fprintf(stderr, "amictl: open this link in a browser on this machine (%s session%s)\n", role ? role : "viewer",
                amictl_opts.key ? "; it ends when you log out in the console" : ", open mode");
    }
    fflush(stdout);
    json_decref(res);
    if (open_browser) {
        char *args[] = { "xdg-open", url, NULL };
        pid_t pid;
        if (posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ))
            return amictl_error("cannot run xdg-open; open the link by hand");
        int st;
        waitpid(pid, &st, 0);
    }
    explicit_bzero(url, sizeof url);
    return AMICTL_OK;
}
