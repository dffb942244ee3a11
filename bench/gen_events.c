/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_events.c: synthetic Windows/Sysmon event corpus for vigil's benchmarks.
 *
 *   vigil_gen_events --regression DIR --count N --seed S --out FILE [--truth FILE]
 *                    [--tp-every K]
 *
 * Templates are the events of SigmaHQ's regression cases (an info.yml under DIR naming the rule
 * id, next to one or more JSON files of EVTX-style events, pretty-printed or concatenated).
 * The output is N events, one compact JSON object per line:
 *
 *  - true positives: every K events (default 100) one regression case is written unchanged
 *    except for its timestamps and EventRecordID, all of its events on consecutive lines
 *    (a case may hold several events, not all of which match its rule). Cases come in a
 *    seeded shuffled order, cycling, so every case appears about equally often.
 *  - benign traffic, everything else: a random template from the benign pool with host,
 *    user, process ids, GUIDs, hashes, timestamps, and process/file/registry/pipe/DLL
 *    values replaced by values from the tables below (ordinary Windows workstation
 *    activity). A template joins the benign pool only if every value in it is either
 *    replaced or harmless (Channel, EventID, Level...); the others only serve as true
 *    positives.
 *
 * Timestamps (SystemTime, UtcTime, CreationUtcTime) increase monotonically over the whole
 * output; EventRecordID counts up. The output only depends on the templates and the seed.
 *
 * --truth FILE gets one line per true-positive event:
 *     LINE<TAB>RULE_ID<TAB>CASE_INSTANCE<TAB>MATCH_COUNT
 * LINE is the 0-based line (= vigil's record index), CASE_INSTANCE numbers the case
 * copies (the events of one copy share it) and MATCH_COUNT is the case's match_count from
 * info.yml (1 when absent): the rule must fire on at least that many events of the copy.
 *
 * A one-line summary goes to stderr. Exit status: 0 on success, 1 on an I/O or input
 * problem, 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vigil/buf.h"
#include "vigil/event.h"
#include "vigil/parse.h"

#define MAX_FILE (64u << 20)

/* ---- PRNG: splitmix64 ---- */

static uint64_t g_rng;

static uint64_t rnd(void)
{
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* ---- benign value tables ---- */

enum {
    P_SMSS,
    P_WININIT,
    P_SERVICES,
    P_SVC_DCOM,
    P_SVC_NETSVCS,
    P_SVC_LOCAL,
    P_SVC_NETWORK,
    P_SVC_UNISTACK,
    P_SVC_APPX,
    P_USERINIT,
    P_EXPLORER,
    P_CHROME,
    P_CHROME_RENDERER,
    P_CHROME_GPU,
    P_CHROME_UTILITY,
    P_EDGE,
    P_EDGE_RENDERER,
    P_FIREFOX,
    P_FIREFOX_TAB,
    P_RUNTIMEBROKER,
    P_BGTASKHOST,
    P_TASKHOSTW,
    P_DLLHOST,
    P_WMIPRVSE,
    P_SEARCHINDEXER,
    P_SEARCHPROTOCOL,
    P_SIHOST,
    P_CTFMON,
    P_SMARTSCREEN,
    P_AUDIODG,
    P_SPOOLSV,
    P_MSMPENG,
    P_WORD,
    P_EXCEL,
    P_OUTLOOK,
    P_TEAMS,
    P_ONEDRIVE,
    P_NOTEPAD,
    P_STARTMENU,
    P_SEARCHHOST,
    P_EDGEUPDATE,
    P_COMPPKGSRV,
    P_TEXTINPUT,
    P_VSCODE,
    P_COUNT
};

/* A benign process. cmd is a template: %U user name, %N a number, %X 8 hex digits,
 * %G a GUID. who: 'S' SYSTEM, 'L' LOCAL SERVICE, 'N' NETWORK SERVICE, 'U' the host's user. */
typedef struct proc {
    const char *image;
    const char *cmd;
    const char *ofn;
    const char *desc;
    const char *product;
    const char *company;
    const char *version;
    char who;
    int parent;
    unsigned weight;
} proc;

#define SYS32     "C:\\Windows\\System32\\"
#define MS        "Microsoft Corporation"
#define WINOS     "Microsoft\xC2\xAE Windows\xC2\xAE Operating System"
#define WINVER    "10.0.22621.3527 (WinBuild.160101.0800)"
#define CHROME    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
#define EDGE      "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
#define FIREFOX   "C:\\Program Files\\Mozilla Firefox\\firefox.exe"
#define OFFICE    "C:\\Program Files\\Microsoft Office\\root\\Office16\\"
#define CHROMEVER "124.0.6367.119"

static const proc procs[P_COUNT] = {
        [P_SMSS] = {SYS32 "smss.exe", "\\SystemRoot\\System32\\smss.exe", "smss.exe",
                    "Windows Session Manager", WINOS, MS, WINVER, 'S', P_SMSS, 0},
        [P_WININIT] = {SYS32 "wininit.exe", "wininit.exe", "wininit.exe",
                       "Windows Start-Up Application", WINOS, MS, WINVER, 'S', P_SMSS, 1},
        [P_SERVICES] = {SYS32 "services.exe", "C:\\Windows\\system32\\services.exe", "services.exe",
                        "Services and Controller app", WINOS, MS, WINVER, 'S', P_WININIT, 1},
        [P_SVC_DCOM] = {SYS32 "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p",
                        "svchost.exe", "Host Process for Windows Services", WINOS, MS, WINVER, 'S',
                        P_SERVICES, 2},
        [P_SVC_NETSVCS] = {SYS32 "svchost.exe",
                           "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
                           "svchost.exe", "Host Process for Windows Services", WINOS, MS, WINVER,
                           'S', P_SERVICES, 6},
        [P_SVC_LOCAL] =
                {SYS32 "svchost.exe",
                 "C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p -s "
                 "EventLog",
                 "svchost.exe", "Host Process for Windows Services", WINOS, MS, WINVER, 'L',
                 P_SERVICES, 3},
        [P_SVC_NETWORK] = {SYS32 "svchost.exe",
                           "C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s Dnscache",
                           "svchost.exe", "Host Process for Windows Services", WINOS, MS, WINVER,
                           'N', P_SERVICES, 3},
        [P_SVC_UNISTACK] =
                {SYS32 "svchost.exe",
                 "C:\\Windows\\system32\\svchost.exe -k UnistackSvcGroup -s CDPUserSvc_%X",
                 "svchost.exe", "Host Process for Windows Services", WINOS, MS, WINVER, 'U',
                 P_SERVICES, 2},
        [P_SVC_APPX] = {SYS32 "svchost.exe",
                        "C:\\Windows\\system32\\svchost.exe -k wsappx -p -s AppXSvc", "svchost.exe",
                        "Host Process for Windows Services", WINOS, MS, WINVER, 'S', P_SERVICES, 2},
        [P_USERINIT] = {SYS32 "userinit.exe", "C:\\Windows\\system32\\userinit.exe", "USERINIT.EXE",
                        "Userinit Logon Application", WINOS, MS, WINVER, 'U', P_WININIT, 1},
        [P_EXPLORER] = {"C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "EXPLORER.EXE",
                        "Windows Explorer", WINOS, MS, WINVER, 'U', P_USERINIT, 3},
        [P_CHROME] = {CHROME, "\"" CHROME "\" --restore-last-session", "chrome.exe",
                      "Google Chrome", "Google Chrome", "Google LLC", CHROMEVER, 'U', P_EXPLORER,
                      3},
        [P_CHROME_RENDERER] = {CHROME,
                               "\"" CHROME
                               "\" --type=renderer --display-capture-permissions-policy-allowed "
                               "--lang=en-US --device-scale-factor=1 --num-raster-threads=4 "
                               "--renderer-client-id=%N --time-ticks-at-unix-epoch=-%N "
                               "--launch-time-ticks=%N --mojo-platform-channel-handle=%N "
                               "--field-trial-handle=%N,i,%N,%N,262144 /prefetch:1",
                               "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC",
                               CHROMEVER, 'U', P_CHROME, 14},
        [P_CHROME_GPU] =
                {CHROME,
                 "\"" CHROME "\" --type=gpu-process --gpu-preferences=WAAAAAAAAADgAAAMAAAAAAAAAAAA"
                 "AAAAAABgAAAAAAA4AAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAA --mojo-platform-"
                 "channel-handle=%N --field-trial-handle=%N,i,%N,%N,262144 /prefetch:2",
                 "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC", CHROMEVER, 'U',
                 P_CHROME, 3},
        [P_CHROME_UTILITY] =
                {CHROME,
                 "\"" CHROME "\" --type=utility --utility-sub-type=network.mojom.NetworkService "
                 "--lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%N "
                 "--field-trial-handle=%N,i,%N,%N,262144 /prefetch:3",
                 "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC", CHROMEVER, 'U',
                 P_CHROME, 5},
        [P_EDGE] = {EDGE, "\"" EDGE "\" --single-argument https://intranet.corp.example.com/",
                    "msedge.exe", "Microsoft Edge", "Microsoft Edge", MS, "124.0.2478.80", 'U',
                    P_EXPLORER, 2},
        [P_EDGE_RENDERER] =
                {EDGE,
                 "\"" EDGE "\" --type=renderer --lang=en-US --js-flags=--ms-user-locale= "
                 "--device-scale-factor=1 --num-raster-threads=4 --renderer-client-id=%N "
                 "--mojo-platform-channel-handle=%N --field-trial-handle=%N,i,%N,%N,262144 "
                 "/prefetch:1",
                 "msedge.exe", "Microsoft Edge", "Microsoft Edge", MS, "124.0.2478.80", 'U', P_EDGE,
                 8},
        [P_FIREFOX] = {FIREFOX, "\"" FIREFOX "\"", "firefox.exe", "Firefox", "Firefox",
                       "Mozilla Corporation", "125.0.3", 'U', P_EXPLORER, 1},
        [P_FIREFOX_TAB] = {FIREFOX,
                           "\"" FIREFOX "\" -contentproc --channel=%N.%N.%N -childID %N "
                           "-isForBrowser -prefsHandle %N:%N -prefMapHandle %N:%N -prefsLen %N "
                           "-prefMapSize %N -jsInitHandle %N:%N -parentBuildID 20240426183016 "
                           "-appDir \"C:\\Program Files\\Mozilla Firefox\\browser\" - %N "
                           "\"\\\\.\\pipe\\gecko-crash-server-pipe.%N\" tab",
                           "firefox.exe", "Firefox", "Firefox", "Mozilla Corporation", "125.0.3",
                           'U', P_FIREFOX, 4},
        [P_RUNTIMEBROKER] = {SYS32 "RuntimeBroker.exe",
                             "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
                             "RuntimeBroker.exe", "Runtime Broker", WINOS, MS, WINVER, 'U',
                             P_SVC_DCOM, 4},
        [P_BGTASKHOST] = {SYS32 "backgroundTaskHost.exe",
                          "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" "
                          "-ServerName:BackgroundTaskHost.WebAccountBackgroundTask",
                          "backgroundTaskHost.exe", "Background Task Host", WINOS, MS, WINVER, 'U',
                          P_SVC_DCOM, 3},
        [P_TASKHOSTW] = {SYS32 "taskhostw.exe",
                         "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}", "taskhostw.exe",
                         "Host Process for Windows Tasks", WINOS, MS, WINVER, 'U', P_SVC_NETSVCS,
                         2},
        [P_DLLHOST] = {SYS32 "dllhost.exe",
                       "C:\\Windows\\system32\\DllHost.exe "
                       "/Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
                       "dllhost.exe", "COM Surrogate", WINOS, MS, WINVER, 'U', P_SVC_DCOM, 2},
        [P_WMIPRVSE] = {SYS32 "wbem\\WmiPrvSE.exe",
                        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
                        "Wmiprvse.exe", "WMI Provider Host", WINOS, MS, WINVER, 'N', P_SVC_DCOM, 2},
        [P_SEARCHINDEXER] = {SYS32 "SearchIndexer.exe",
                             "C:\\Windows\\system32\\SearchIndexer.exe /Embedding",
                             "SearchIndexer.exe", "Microsoft Windows Search Indexer", WINOS, MS,
                             WINVER, 'S', P_SERVICES, 1},
        [P_SEARCHPROTOCOL] =
                {SYS32 "SearchProtocolHost.exe",
                 "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" "
                 "Global\\UsGthrFltPipeMssGthrPipe%N_ Global\\UsGthrCtrlFltPipeMssGthrPipe%N 1 "
                 "-2147483646 \"Software\\Microsoft\\Windows Search\" "
                 "\"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" "
                 "\"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" "
                 "\"DownLevelDaemon\"",
                 "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host", WINOS, MS,
                 WINVER, 'S', P_SEARCHINDEXER, 4},
        [P_SIHOST] = {SYS32 "sihost.exe", "sihost.exe", "sihost.exe", "Shell Infrastructure Host",
                      WINOS, MS, WINVER, 'U', P_SVC_NETSVCS, 1},
        [P_CTFMON] = {SYS32 "ctfmon.exe", "\"ctfmon.exe\"", "CTFMON.EXE", "CTF Loader", WINOS, MS,
                      WINVER, 'U', P_SVC_LOCAL, 1},
        [P_SMARTSCREEN] = {SYS32 "smartscreen.exe",
                           "C:\\Windows\\System32\\smartscreen.exe -Embedding", "smartscreen.exe",
                           "Windows Defender SmartScreen", WINOS, MS, WINVER, 'U', P_SVC_DCOM, 2},
        [P_AUDIODG] = {SYS32 "audiodg.exe", "C:\\Windows\\system32\\AUDIODG.EXE 0x%X",
                       "AUDIODG.EXE", "Windows Audio Device Graph Isolation", WINOS, MS, WINVER,
                       'L', P_SVC_LOCAL, 1},
        [P_SPOOLSV] = {SYS32 "spoolsv.exe", "C:\\Windows\\System32\\spoolsv.exe", "spoolsv.exe",
                       "Spooler SubSystem App", WINOS, MS, WINVER, 'S', P_SERVICES, 1},
        [P_MSMPENG] = {"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0"
                       "\\MsMpEng.exe",
                       "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0"
                       "\\MsMpEng.exe\"",
                       "MsMpEng.exe", "Antimalware Service Executable",
                       "Microsoft\xC2\xAE Windows\xC2\xAE Operating System", MS, "4.18.24030.9",
                       'S', P_SERVICES, 1},
        [P_WORD] = {OFFICE "WINWORD.EXE",
                    "\"" OFFICE "WINWORD.EXE\" /n \"C:\\Users\\%U\\Documents\\Quarterly report "
                    "%N.docx\" /o \"\"",
                    "WinWord.exe", "Microsoft Word", "Microsoft Office", MS, "16.0.17531.20140",
                    'U', P_EXPLORER, 2},
        [P_EXCEL] = {OFFICE "EXCEL.EXE",
                     "\"" OFFICE "EXCEL.EXE\" \"C:\\Users\\%U\\OneDrive - Corp\\Budget %N.xlsx\"",
                     "Excel.exe", "Microsoft Excel", "Microsoft Office", MS, "16.0.17531.20140",
                     'U', P_EXPLORER, 2},
        [P_OUTLOOK] = {OFFICE "OUTLOOK.EXE", "\"" OFFICE "OUTLOOK.EXE\" /recycle", "Outlook.exe",
                       "Microsoft Outlook", "Microsoft Office", MS, "16.0.17531.20140", 'U',
                       P_EXPLORER, 2},
        [P_TEAMS] = {"C:\\Program Files\\WindowsApps\\MSTeams_24102.2223.2870.9480_x64__"
                     "8wekyb3d8bbwe\\ms-teams.exe",
                     "\"C:\\Program Files\\WindowsApps\\MSTeams_24102.2223.2870.9480_x64__"
                     "8wekyb3d8bbwe\\ms-teams.exe\" msteams:system-initiated",
                     "ms-teams.exe", "Microsoft Teams", "Microsoft Teams", MS,
                     "24102.2223.2870.9480", 'U', P_EXPLORER, 2},
        [P_ONEDRIVE] = {"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
                        "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
                        "OneDrive.exe", "Microsoft OneDrive", "Microsoft OneDrive", MS,
                        "24.086.0428.0003", 'U', P_EXPLORER, 2},
        [P_NOTEPAD] =
                {SYS32 "notepad.exe",
                 "\"C:\\Windows\\system32\\NOTEPAD.EXE\" C:\\Users\\%U\\Documents\\notes-%N.txt",
                 "NOTEPAD.EXE", "Notepad", WINOS, MS, WINVER, 'U', P_EXPLORER, 1},
        [P_STARTMENU] = {"C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_"
                         "cw5n1h2txyewy\\StartMenuExperienceHost.exe",
                         "\"C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_"
                         "cw5n1h2txyewy\\StartMenuExperienceHost.exe\" "
                         "-ServerName:App.AppXywbrabmsek0gm3tkwpr5kwzbs55tkqay.mca",
                         "StartMenuExperienceHost.exe", "Windows Start Experience Host", WINOS, MS,
                         WINVER, 'U', P_SVC_DCOM, 1},
        [P_SEARCHHOST] = {"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy"
                          "\\SearchHost.exe",
                          "\"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy"
                          "\\SearchHost.exe\" "
                          "-ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca",
                          "SearchHost.exe", "Search application", WINOS, MS, WINVER, 'U',
                          P_SVC_DCOM, 1},
        [P_EDGEUPDATE] =
                {"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
                 "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /c",
                 "MicrosoftEdgeUpdate.exe", "Microsoft Edge Update", "Microsoft Edge Update", MS,
                 "1.3.185.29", 'S', P_SVC_NETSVCS, 1},
        [P_COMPPKGSRV] = {SYS32 "CompPkgSrv.exe",
                          "C:\\Windows\\System32\\CompPkgSrv.exe -Embedding", "CompPkgSrv.exe",
                          "Component Package Support Server", WINOS, MS, WINVER, 'U', P_SVC_DCOM,
                          1},
        [P_TEXTINPUT] =
                {"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy"
                 "\\TextInputHost.exe",
                 "\"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy"
                 "\\TextInputHost.exe\" -ServerName:InputApp.AppX9jnwykgrccxc8by3hsrsh07r423xzvav"
                 ".mca",
                 "TextInputHost.exe", "Windows Text Input", WINOS, MS, WINVER, 'U', P_SVC_DCOM, 1},
        [P_VSCODE] = {"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
                      "\"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe\" "
                      "--type=renderer --user-data-dir=\"C:\\Users\\%U\\AppData\\Roaming\\Code\" "
                      "--standard-schemes=vscode-webview,vscode-file --enable-sandbox "
                      "--lang=en-US --renderer-client-id=%N --mojo-platform-channel-handle=%N "
                      "/prefetch:1",
                      "electron.exe", "Visual Studio Code", "Visual Studio Code", MS, "1.89.1", 'U',
                      P_EXPLORER, 2},
};

/* A loaded DLL (image-load events). */
typedef struct dll {
    const char *path;
    const char *ofn;
    const char *desc;
} dll;

static const dll dlls[] = {
        {SYS32 "kernel32.dll", "kernel32", "Windows NT BASE API Client DLL"},
        {SYS32 "ntdll.dll", "ntdll.dll", "NT Layer DLL"},
        {SYS32 "KernelBase.dll", "Kernelbase.dll", "Windows NT BASE API Client DLL"},
        {SYS32 "user32.dll", "user32", "Multi-User Windows USER API Client DLL"},
        {SYS32 "gdi32.dll", "gdi32", "GDI Client DLL"},
        {SYS32 "combase.dll", "COMBASE.DLL", "Microsoft COM for Windows"},
        {SYS32 "msvcrt.dll", "msvcrt.dll", "Windows NT CRT DLL"},
        {SYS32 "ole32.dll", "OLE32.DLL", "Microsoft OLE for Windows"},
        {SYS32 "shell32.dll", "SHELL32.DLL", "Windows Shell Common Dll"},
        {SYS32 "uxtheme.dll", "UxTheme.dll", "Microsoft UxTheme Library"},
        {SYS32 "bcrypt.dll", "BCrypt.dll", "Windows Cryptographic Primitives Library"},
        {SYS32 "sechost.dll", "sechost.dll", "Host for SCM/SDDL/LSA Lookup APIs"},
        {SYS32 "rpcrt4.dll", "rpcrt4.dll", "Remote Procedure Call Runtime"},
        {SYS32 "windows.storage.dll", "Windows.Storage.dll", "Microsoft WinRT Storage API"},
        {SYS32 "profapi.dll", "profapi.dll", "User Profile Basic API"},
        {SYS32 "kernel.appcore.dll", "kernel.appcore.dll", "AppModel API Host"},
        {SYS32 "powrprof.dll", "POWRPROF.DLL", "Power Profile Helper DLL"},
        {SYS32 "imm32.dll", "imm32", "Multi-User Windows IMM32 API Client DLL"},
};

/* A value written by a benign process (file events, registry events, pipes): the writer
 * becomes the event's process. Same template syntax as proc.cmd. */
typedef struct written {
    const char *value;
    const char *details; /* registry: the Details value */
    int writer;
} written;

static const written files[] = {
        {"C:\\Users\\%U\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache"
         "\\Cache_Data\\f_%X",
         NULL, P_CHROME},
        {"C:\\Users\\%U\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Code Cache"
         "\\js\\%X_0",
         NULL, P_EDGE},
        {"C:\\Users\\%U\\AppData\\Local\\Mozilla\\Firefox\\Profiles\\%X.default-release"
         "\\cache2\\entries\\%X%X",
         NULL, P_FIREFOX},
        {"C:\\Users\\%U\\Documents\\Quarterly report %N.docx", NULL, P_WORD},
        {"C:\\Users\\%U\\Documents\\~$arterly report %N.docx", NULL, P_WORD},
        {"C:\\Users\\%U\\OneDrive - Corp\\Budget %N.xlsx", NULL, P_EXCEL},
        {"C:\\Users\\%U\\AppData\\Local\\Microsoft\\OneDrive\\logs\\Business1"
         "\\SyncEngine-%N.odl",
         NULL, P_ONEDRIVE},
        {"C:\\Users\\%U\\AppData\\Local\\Microsoft\\Outlook\\%U@corp.example.com.ost", NULL,
         P_OUTLOOK},
        {"C:\\Users\\%U\\AppData\\Local\\Packages\\Microsoft.Windows.Search_cw5n1h2txyewy"
         "\\LocalState\\DeviceSearchCache\\AppCache%N.txt",
         NULL, P_SEARCHHOST},
        {"C:\\Windows\\Prefetch\\CHROME.EXE-%X.pf", NULL, P_SVC_NETSVCS},
        {"C:\\Windows\\Prefetch\\SVCHOST.EXE-%X.pf", NULL, P_SVC_NETSVCS},
        {"C:\\Windows\\SoftwareDistribution\\DataStore\\Logs\\edb%X.log", NULL, P_SVC_NETSVCS},
        {"C:\\Windows\\System32\\LogFiles\\WMI\\RtBackup\\EtwRTEventLog-Application.etl", NULL,
         P_SVC_LOCAL},
        {"C:\\ProgramData\\Microsoft\\Search\\Data\\Applications\\Windows\\GatherLogs"
         "\\SystemIndex\\SystemIndex.%N.Crwl",
         NULL, P_SEARCHINDEXER},
        {"C:\\Users\\%U\\AppData\\Roaming\\Code\\User\\workspaceStorage\\%X%X"
         "\\state.vscdb",
         NULL, P_VSCODE},
        {"C:\\Users\\%U\\Downloads\\meeting-notes-%N.pdf", NULL, P_CHROME},
};

#define USER_SID "S-1-5-21-1004336348-1177238915-682003330-%N"

static const written regvals[] = {
        {"HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\" USER_SID
         "\\\\Device\\HarddiskVolume3\\Windows\\explorer.exe",
         "Binary Data", P_SVC_DCOM},
        {"HKU\\" USER_SID "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist"
         "\\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count\\HRZR_PGYFRFFVBA",
         "Binary Data", P_EXPLORER},
        {"HKU\\" USER_SID "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs"
         "\\.docx\\%N",
         "Binary Data", P_EXPLORER},
        {"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Notifications\\Data"
         "\\418A073AA3BC3475",
         "Binary Data", P_SVC_UNISTACK},
        {"HKLM\\System\\CurrentControlSet\\Services\\W32Time\\Config\\LastKnownGoodTime",
         "QWORD (0x01da%X-0x%X)", P_SVC_LOCAL},
        {"HKU\\" USER_SID "\\Software\\Google\\Chrome\\PreferenceMACs\\Default"
         "\\browser.show_home_button",
         "%X%X%X%X", P_CHROME},
        {"HKU\\" USER_SID "\\Software\\Microsoft\\Office\\16.0\\Word\\Reading Locations"
         "\\Document %N\\Position",
         "%N %N", P_WORD},
        {"HKLM\\SOFTWARE\\Microsoft\\EdgeUpdate\\ClientState"
         "\\{56EB18F8-B008-4CBD-B6D2-8C97FE7E9062}\\pv",
         "124.0.2478.80", P_EDGEUPDATE},
        {"HKU\\" USER_SID "\\Software\\Microsoft\\OneDrive\\Accounts\\Business1"
         "\\LastSignInTime",
         "DWORD (0x%X)", P_ONEDRIVE},
        {"HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\%G"
         "\\DhcpIPAddress",
         "10.20.%N.%N", P_SVC_LOCAL},
};

static const written pipes[] = {
        {"\\mojo.%N.%N.%N%N", NULL, P_CHROME},
        {"\\crashpad_%N_%X%X", NULL, P_CHROME},
        {"\\Winsock2\\CatalogChangeListener-%X-0", NULL, P_SVC_NETSVCS},
        {"\\chrome.sync.%N.%N.%X", NULL, P_CHROME},
        {"\\gecko-crash-server-pipe.%N", NULL, P_FIREFOX},
        {"\\LOCAL\\mojo.external_task_manager_%N", NULL, P_EDGE},
};

static const char *const last_names[] = {
        "smith",    "johnson",   "williams", "brown",     "jones",   "garcia",   "miller",
        "davis",    "rodriguez", "martinez", "hernandez", "lopez",   "gonzalez", "wilson",
        "anderson", "thomas",    "taylor",   "moore",     "jackson", "martin",   "lee",
        "perez",    "thompson",  "white",    "harris",    "sanchez", "clark",    "ramirez",
        "lewis",    "robinson",  "walker",   "young",     "allen",   "king",     "wright",
        "scott",    "torres",    "nguyen",   "hill",      "flores"};

#define N_HOSTS 600

/* ---- what to do with a value, by key ---- */

enum {
    K_KEEP,      /* benign-safe, written as is */
    K_UNSAFE,    /* written as is, but the template cannot be benign */
    K_TIME,      /* SystemTime, UtcTime, CreationUtcTime: the event's time (always) */
    K_RECID,     /* EventRecordID: the running counter (always) */
    K_HOST,      /* Computer, FQDN: host FQDN */
    K_HOSTSHORT, /* ClientMachine, WorkstationName: upper-case host name */
    K_DOMAIN,    /* SubjectDomainName...: CORP or NT AUTHORITY */
    K_USER,      /* User, SourceUser, TargetUser: DOMAIN\name */
    K_PUSER,     /* ParentUser: DOMAIN\name of the parent process's user */
    K_UNAME,     /* SubjectUserName, TargetUserName: name */
    K_PID,       /* ProcessId & co: random id, number or string (hex kept hex) */
    K_HEXRAND,   /* GUIDs, logon ids: every hex digit randomised (after a 0x prefix) */
    K_HASHES,    /* Hashes: hex digits of each ALGO=value randomised */
    K_IMAGE,     /* Image, ProcessName */
    K_CMD,       /* CommandLine */
    K_PIMAGE,    /* ParentImage */
    K_PCMD,      /* ParentCommandLine */
    K_OFN,       /* OriginalFileName */
    K_DESC,      /* Description */
    K_PRODUCT,   /* Product */
    K_COMPANY,   /* Company */
    K_VERSION,   /* FileVersion */
    K_CWD,       /* CurrentDirectory */
    K_TFILE,     /* TargetFilename */
    K_REGKEY,    /* TargetObject */
    K_REGDET,    /* Details */
    K_DLL,       /* ImageLoaded */
    K_SIGNED,    /* Signed */
    K_SIGNATURE, /* Signature */
    K_SIGSTATUS, /* SignatureStatus */
    K_PIPE,      /* PipeName */
    K_OTHERIMG,  /* SourceImage, TargetImage */
    K_RULENAME,  /* Sysmon RuleName */
    K_ACCESS     /* GrantedAccess */
};

typedef struct keymap {
    const char *key;
    uint8_t kind;
} keymap;

static const keymap keymaps[] = {
        {"SystemTime", K_TIME},
        {"UtcTime", K_TIME},
        {"CreationUtcTime", K_TIME},
        {"PreviousCreationUtcTime", K_TIME},
        {"EventRecordID", K_RECID},
        {"Computer", K_HOST},
        {"FQDN", K_HOST},
        {"ClientMachine", K_HOSTSHORT},
        {"WorkstationName", K_HOSTSHORT},
        {"SubjectDomainName", K_DOMAIN},
        {"TargetDomainName", K_DOMAIN},
        {"User", K_USER},
        {"SourceUser", K_USER},
        {"TargetUser", K_USER},
        {"ParentUser", K_PUSER},
        {"SubjectUserName", K_UNAME},
        {"TargetUserName", K_UNAME},
        {"ProcessId", K_PID},
        {"ProcessID", K_PID},
        {"ParentProcessId", K_PID},
        {"ThreadID", K_PID},
        {"ClientProcessId", K_PID},
        {"SourceProcessId", K_PID},
        {"SourceThreadId", K_PID},
        {"TargetProcessId", K_PID},
        {"ProcessGuid", K_HEXRAND},
        {"ParentProcessGuid", K_HEXRAND},
        {"LogonGuid", K_HEXRAND},
        {"TargetLogonGuid", K_HEXRAND},
        {"SourceProcessGUID", K_HEXRAND},
        {"TargetProcessGUID", K_HEXRAND},
        {"SourceProcessGuid", K_HEXRAND},
        {"TargetProcessGuid", K_HEXRAND},
        {"LogonId", K_HEXRAND},
        {"SubjectLogonId", K_HEXRAND},
        {"TargetLogonId", K_HEXRAND},
        {"Hashes", K_HASHES},
        {"Hash", K_HASHES},
        {"Image", K_IMAGE},
        {"ProcessName", K_IMAGE},
        {"NewProcessName", K_IMAGE},
        {"CommandLine", K_CMD},
        {"ParentImage", K_PIMAGE},
        {"ParentProcessName", K_PIMAGE},
        {"ParentCommandLine", K_PCMD},
        {"OriginalFileName", K_OFN},
        {"Description", K_DESC},
        {"Product", K_PRODUCT},
        {"Company", K_COMPANY},
        {"FileVersion", K_VERSION},
        {"CurrentDirectory", K_CWD},
        {"TargetFilename", K_TFILE},
        {"TargetObject", K_REGKEY},
        {"Details", K_REGDET},
        {"ImageLoaded", K_DLL},
        {"Signed", K_SIGNED},
        {"Signature", K_SIGNATURE},
        {"SignatureStatus", K_SIGSTATUS},
        {"PipeName", K_PIPE},
        {"SourceImage", K_OTHERIMG},
        {"TargetImage", K_OTHERIMG},
        {"RuleName", K_RULENAME},
        {"GrantedAccess", K_ACCESS},
        /* harmless as they are */
        {"xmlns", K_KEEP},
        {"Name", K_KEEP},
        {"Guid", K_KEEP},
        {"EventID", K_KEEP},
        {"Version", K_KEEP},
        {"Level", K_KEEP},
        {"Task", K_KEEP},
        {"Opcode", K_KEEP},
        {"Keywords", K_KEEP},
        {"Correlation", K_KEEP},
        {"ActivityID", K_KEEP},
        {"Channel", K_KEEP},
        {"UserID", K_KEEP},
        {"EventType", K_KEEP},
        {"IntegrityLevel", K_KEEP},
        {"TerminalSessionId", K_KEEP},
        {"SubjectUserSid", K_KEEP},
        {"TargetUserSid", K_KEEP},
};

static uint8_t key_kind(vg_span key)
{
    for (size_t i = 0; i < sizeof(keymaps) / sizeof(keymaps[0]); i++)
        if (vg_span_eq_cstr(key, keymaps[i].key))
            return keymaps[i].kind;
    return K_UNSAFE;
}

/* ---- templates ---- */

typedef struct tcase {
    char *dir;
    char rule_id[96];
    long match_count;
    size_t first, n; /* templates [first, first + n) */
} tcase;

enum {
    W_PROC,
    W_DLL,
    W_FILE,
    W_REG,
    W_PIPE,
    W_COUNT
};

/* Share (in percent) of each kind of benign event: the regression templates are mostly
 * process creations, a workstation's Sysmon log is not. */
static const unsigned class_weight[W_COUNT] = {
        [W_PROC] = 40, [W_DLL] = 10, [W_FILE] = 20, [W_REG] = 25, [W_PIPE] = 5};

typedef struct tmpl {
    vg_event *ev;
    uint8_t *kind; /* per node */
    size_t case_idx;
    bool benign;
    uint8_t what; /* W_*: what the event is about, from its keys */
} tmpl;

typedef struct corpus {
    tcase *cases;
    size_t n_cases, cap_cases;
    tmpl *tmpls;
    size_t n_tmpls, cap_tmpls;
    char **texts; /* file contents the events point into */
    size_t n_texts, cap_texts;
    size_t *benign; /* indices of benign-capable templates, grouped by class (W_*) */
    size_t n_benign;
    size_t class_first[W_COUNT], class_n[W_COUNT];
} corpus;

static void *grow(void *p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 64;
    void *q = realloc(p, nc * elem);
    if (!q) {
        fprintf(stderr, "vigil_gen_events: out of memory\n");
        exit(1);
    }
    *cap = nc;
    return q;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    while (p) {
        if (n == cap) {
            if (cap >= MAX_FILE) {
                free(p);
                p = NULL;
                break;
            }
            cap *= 2;
            char *q = realloc(p, cap);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
        }
        size_t r = fread(p + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (p && ferror(f)) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = n;
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory (hidden ones left out); NULL if it cannot be read. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        v = grow(v, &cap, *n, sizeof(*v));
        v[*n] = vg_strndup(e->d_name, strlen(e->d_name));
        if (!v[*n]) {
            fprintf(stderr, "vigil_gen_events: out of memory\n");
            exit(1);
        }
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vg_free(v[i]);
    free(v);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The value after "key:" on a YAML line, trimmed and unquoted, into out. */
static bool yaml_value(const char *line, const char *key, char *out, size_t cap)
{
    const char *p = strstr(line, key);
    if (!p)
        return false;
    p += strlen(key);
    while (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != '\n' && p[n] != '\r' && p[n] != ' ' && p[n] != '"' && p[n] != '\'' &&
           p[n] != '#')
        n++;
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* info.yml: the first id under rule_metadata, and regression_tests_info's match_count. */
static bool read_info(const char *path, char *rule_id, size_t cap, long *match_count)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return false;
    char *t = realloc(text, len + 1);
    if (!t) {
        free(text);
        return false;
    }
    text = t;
    text[len] = '\0';
    *match_count = 1;
    rule_id[0] = '\0';
    bool in_meta = false;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "rule_metadata:", 14) == 0) {
            in_meta = true;
        } else if (line[0] != ' ' && line[0] != '-' && line[0] != '\0') {
            in_meta = false;
        } else if (in_meta && !rule_id[0] && strstr(line, "id:")) {
            const char *p = line;
            while (*p == ' ' || *p == '-')
                p++;
            if (strncmp(p, "id:", 3) == 0)
                yaml_value(p, "id:", rule_id, cap);
        }
        char num[32];
        if (yaml_value(line, "match_count:", num, sizeof(num)))
            *match_count = strtol(num, NULL, 10);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return rule_id[0] != '\0';
}

/* Parse every JSON event of one file into templates of case ci. */
static bool load_json(corpus *c, size_t ci, const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "vigil_gen_events: %s: cannot read: %s\n", path, strerror(errno));
        return false;
    }
    c->texts = grow(c->texts, &c->cap_texts, c->n_texts, sizeof(*c->texts));
    c->texts[c->n_texts++] = text;
    size_t pos = 0;
    while (pos < len) {
        size_t start, rlen, used;
        vg_frame_result fr = vg_frame_next(VG_FMT_JSON, text + pos, len - pos, true, MAX_FILE,
                                           &start, &rlen, &used);
        if (fr == VG_FRAME_SKIP) {
            pos += used ? used : len - pos;
            continue;
        }
        if (fr != VG_FRAME_RECORD) {
            fprintf(stderr, "vigil_gen_events: %s: unframeable JSON at byte %zu\n", path, pos);
            return false;
        }
        vg_event *ev = vg_event_new(NULL);
        vg_perr err = {0, ""};
        if (!ev || vg_parse_json(ev, text + pos + start, rlen, &err) != VG_OK) {
            fprintf(stderr, "vigil_gen_events: %s: byte %zu: %s\n", path, pos + start + err.offset,
                    err.msg);
            vg_event_free(ev);
            return false;
        }
        pos += used;
        uint32_t n = vg_event_count(ev);
        c->tmpls = grow(c->tmpls, &c->cap_tmpls, c->n_tmpls, sizeof(*c->tmpls));
        tmpl *t = &c->tmpls[c->n_tmpls++];
        t->ev = ev;
        t->case_idx = ci;
        t->kind = malloc(n ? n : 1);
        if (!t->kind) {
            fprintf(stderr, "vigil_gen_events: out of memory\n");
            exit(1);
        }
        t->benign = true;
        t->what = W_PROC;
        for (uint32_t i = 0; i < n; i++) {
            const vg_node *nd = vg_event_node(ev, i);
            bool scalar = nd->type != VG_V_OBJ && nd->type != VG_V_ARR;
            t->kind[i] = scalar ? key_kind(nd->key) : K_KEEP;
            if (t->kind[i] == K_UNSAFE)
                t->benign = false;
            if (t->kind[i] == K_DLL)
                t->what = W_DLL;
            else if (t->kind[i] == K_TFILE)
                t->what = W_FILE;
            else if (t->kind[i] == K_REGKEY)
                t->what = W_REG;
            else if (t->kind[i] == K_PIPE)
                t->what = W_PIPE;
        }
        c->cases[ci].n++;
    }
    return true;
}

static bool find_cases(corpus *c, const char *dir, int depth)
{
    if (depth > 32)
        return true;
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names)
        return true;
    bool ok = true;
    bool is_case = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], "info.yml") == 0)
            is_case = true;
    if (is_case) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/info.yml", dir);
        tcase tc = {0};
        if (!read_info(path, tc.rule_id, sizeof(tc.rule_id), &tc.match_count)) {
            fprintf(stderr, "vigil_gen_events: %s: no rule id, case skipped\n", path);
        } else {
            tc.dir = vg_strndup(dir, strlen(dir));
            tc.first = c->n_tmpls;
            c->cases = grow(c->cases, &c->cap_cases, c->n_cases, sizeof(*c->cases));
            size_t ci = c->n_cases++;
            c->cases[ci] = tc;
            for (size_t i = 0; ok && i < n; i++) {
                if (!has_suffix(names[i], ".json"))
                    continue;
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                ok = load_json(c, ci, path);
            }
            if (ok && c->cases[ci].n == 0) {
                fprintf(stderr, "vigil_gen_events: %s: no events, case skipped\n", dir);
                vg_free(c->cases[ci].dir);
                c->n_cases--;
            }
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            ok = find_cases(c, path, depth + 1);
    }
    free_list(names, n);
    return ok;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n_tmpls; i++) {
        vg_event_free(c->tmpls[i].ev);
        free(c->tmpls[i].kind);
    }
    for (size_t i = 0; i < c->n_cases; i++)
        vg_free(c->cases[i].dir);
    for (size_t i = 0; i < c->n_texts; i++)
        free(c->texts[i]);
    free(c->tmpls);
    free(c->cases);
    free(c->texts);
    free(c->benign);
}

/* ---- one generated event ---- */

typedef struct ectx {
    bool benign;
    const char *stamp_iso; /* 2026-03-02T08:00:00.123456 (no zone) */
    uint64_t record_id;
    unsigned host;
    char user[48]; /* j.smith */
    const proc *p, *parent;
    const dll *lib; /* image-load events */
    const written *reg, *tfile, *pipe;
} ectx;

static void put_user(vg_buf *b, const ectx *e, char who)
{
    const char *name = who == 'S'   ? "SYSTEM"
                       : who == 'L' ? "LOCAL SERVICE"
                       : who == 'N' ? "NETWORK SERVICE"
                                    : e->user;
    vg_buf_puts(b, who == 'U' ? "CORP\\" : "NT AUTHORITY\\");
    vg_buf_puts(b, name);
}

static void put_host(vg_buf *b, unsigned host, bool fqdn)
{
    static const char *const prefix[] = {"WKS", "WKS", "WKS", "LT", "LT", "SRV"};
    vg_buf_printf(b, "%s-%04u%s", prefix[host % 6], host, fqdn ? ".corp.example.com" : "");
}

/* Expand a value template (see proc.cmd) and append it. */
static void put_tmpl(vg_buf *b, const char *t, const ectx *e)
{
    for (const char *p = t; *p; p++) {
        if (*p != '%' || !p[1]) {
            vg_buf_putc(b, *p);
            continue;
        }
        switch (*++p) {
        case 'U':
            vg_buf_puts(b, e->user);
            break;
        case 'N':
            vg_buf_printf(b, "%u", 1 + rnd_below(99999));
            break;
        case 'X':
            vg_buf_printf(b, "%08x", (unsigned)(rnd() >> 32));
            break;
        case 'G': {
            uint64_t a = rnd(), c = rnd();
            vg_buf_printf(b, "{%08x-%04x-%04x-%04x-%012llx}", (unsigned)(a >> 32),
                          (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff, (unsigned)(c >> 48),
                          (unsigned long long)(c & 0xffffffffffffull));
            break;
        }
        default:
            vg_buf_putc(b, '%');
            vg_buf_putc(b, *p);
            break;
        }
    }
}

/* The text with every hex digit after `from` replaced by a random one of the same case. */
static void put_hexrand(vg_buf *b, vg_span s, bool hashes)
{
    bool value = !hashes; /* Hashes: only after '=' up to ',' */
    size_t i = 0;
    if (!hashes && s.len > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
        vg_buf_append(b, s.p, 2);
        i = 2;
    }
    for (; i < s.len; i++) {
        char ch = s.p[i];
        if (hashes && ch == '=')
            value = true;
        else if (hashes && ch == ',')
            value = false;
        bool lower = (ch >= 'a' && ch <= 'f');
        bool hex = (ch >= '0' && ch <= '9') || lower || (ch >= 'A' && ch <= 'F');
        if (value && hex) {
            unsigned d = rnd_below(16);
            ch = (char)(d < 10 ? '0' + d : (lower ? 'a' : 'A') + d - 10);
        }
        vg_buf_putc(b, ch);
    }
}

static void put_quoted(vg_buf *b, const char *s, size_t n)
{
    vg_buf_putc(b, '"');
    vg_buf_json_str(b, s, n);
    vg_buf_putc(b, '"');
}

/* A scalar value of a generated event: replaced (as a JSON string or number) or as is. */
static void put_scalar(vg_buf *b, vg_buf *tmp, const vg_node *nd, uint8_t kind, const ectx *e)
{
    vg_buf_clear(tmp);
    bool replaced = true;
    bool as_number = false;
    switch (kind) {
    case K_TIME: {
        /* keep the template's shape: 'T' or ' ' separator, fraction digits, 'Z' */
        bool iso = memchr(nd->text.p, 'T', nd->text.len) != NULL;
        const char *dot = memchr(nd->text.p, '.', nd->text.len);
        size_t frac = 0;
        if (dot)
            while ((size_t)(dot + 1 + frac - nd->text.p) < nd->text.len && dot[1 + frac] >= '0' &&
                   dot[1 + frac] <= '9')
                frac++;
        vg_buf_append(tmp, e->stamp_iso, 10);
        vg_buf_putc(tmp, iso ? 'T' : ' ');
        vg_buf_append(tmp, e->stamp_iso + 11, 8);
        if (frac) {
            vg_buf_putc(tmp, '.');
            vg_buf_append(tmp, e->stamp_iso + 20, frac < 6 ? frac : 6);
            for (size_t i = 6; i < frac; i++)
                vg_buf_putc(tmp, '0');
        }
        if (nd->text.len && nd->text.p[nd->text.len - 1] == 'Z')
            vg_buf_putc(tmp, 'Z');
        as_number = nd->type == VG_V_NUM;
        break;
    }
    case K_RECID:
        vg_buf_printf(tmp, "%llu", (unsigned long long)e->record_id);
        as_number = nd->type == VG_V_NUM;
        break;
    default:
        replaced = false;
        break;
    }
    if (!replaced && e->benign && nd->type != VG_V_NULL) {
        replaced = true;
        switch (kind) {
        case K_HOST:
            put_host(tmp, e->host, true);
            break;
        case K_HOSTSHORT:
            put_host(tmp, e->host, false);
            break;
        case K_DOMAIN:
            vg_buf_puts(tmp, e->p->who == 'U' ? "CORP" : "NT AUTHORITY");
            break;
        case K_USER:
            put_user(tmp, e, e->p->who);
            break;
        case K_PUSER:
            put_user(tmp, e, e->parent->who);
            break;
        case K_UNAME:
            if (e->p->who == 'U') {
                vg_buf_puts(tmp, e->user);
            } else {
                put_host(tmp, e->host, false);
                vg_buf_putc(tmp, '$');
            }
            break;
        case K_PID: {
            unsigned pid = 4 * (1 + rnd_below(16000));
            bool hex = nd->text.len > 2 && nd->text.p[0] == '0' && nd->text.p[1] == 'x';
            vg_buf_printf(tmp, hex ? "0x%x" : "%u", pid);
            as_number = nd->type == VG_V_NUM;
            break;
        }
        case K_HEXRAND:
            put_hexrand(tmp, nd->text, false);
            as_number = nd->type == VG_V_NUM;
            break;
        case K_HASHES:
            put_hexrand(tmp, nd->text, true);
            break;
        case K_IMAGE:
            put_tmpl(tmp, e->p->image, e);
            break;
        case K_CMD:
            put_tmpl(tmp, e->p->cmd, e);
            break;
        case K_PIMAGE:
            put_tmpl(tmp, e->parent->image, e);
            break;
        case K_PCMD:
            put_tmpl(tmp, e->parent->cmd, e);
            break;
        case K_OFN:
            vg_buf_puts(tmp, e->lib ? e->lib->ofn : e->p->ofn);
            break;
        case K_DESC:
            vg_buf_puts(tmp, e->lib ? e->lib->desc : e->p->desc);
            break;
        case K_PRODUCT:
            vg_buf_puts(tmp, e->lib ? WINOS : e->p->product);
            break;
        case K_COMPANY:
            vg_buf_puts(tmp, e->lib ? MS : e->p->company);
            break;
        case K_VERSION:
            vg_buf_puts(tmp, e->lib ? WINVER : e->p->version);
            break;
        case K_CWD:
            if (e->p->who == 'U')
                vg_buf_printf(tmp, "C:\\Users\\%s\\", e->user);
            else
                vg_buf_puts(tmp, "C:\\Windows\\system32\\");
            break;
        case K_TFILE:
            put_tmpl(tmp, e->tfile->value, e);
            break;
        case K_REGKEY:
            put_tmpl(tmp, e->reg->value, e);
            break;
        case K_REGDET:
            put_tmpl(tmp, e->reg->details, e);
            break;
        case K_DLL:
            vg_buf_puts(tmp, e->lib ? e->lib->path : dlls[0].path);
            break;
        case K_SIGNED:
            vg_buf_puts(tmp, "true");
            as_number = nd->type == VG_V_BOOL;
            break;
        case K_SIGNATURE:
            vg_buf_puts(tmp, "Microsoft Windows");
            break;
        case K_SIGSTATUS:
            vg_buf_puts(tmp, "Valid");
            break;
        case K_PIPE:
            put_tmpl(tmp, e->pipe->value, e);
            break;
        case K_OTHERIMG:
            put_tmpl(tmp, procs[rnd_below(P_COUNT)].image, e);
            break;
        case K_RULENAME:
            vg_buf_putc(tmp, '-');
            break;
        case K_ACCESS:
            vg_buf_puts(tmp, "0x1000");
            break;
        default:
            replaced = false;
            break;
        }
    }
    if (replaced) {
        if (as_number)
            vg_buf_append(b, tmp->p, tmp->len);
        else
            put_quoted(b, tmp->len ? tmp->p : "", tmp->len);
        return;
    }
    switch (nd->type) {
    case VG_V_NULL:
        vg_buf_append(b, "null", 4);
        break;
    case VG_V_BOOL:
    case VG_V_NUM:
        vg_buf_append(b, nd->text.p, nd->text.len);
        break;
    default:
        put_quoted(b, nd->text.p, nd->text.len);
        break;
    }
}

static void put_node(vg_buf *b, vg_buf *tmp, const tmpl *t, uint32_t i, const ectx *e)
{
    const vg_node *nd = vg_event_node(t->ev, i);
    if (nd->type != VG_V_OBJ && nd->type != VG_V_ARR) {
        put_scalar(b, tmp, nd, t->kind[i], e);
        return;
    }
    bool obj = nd->type == VG_V_OBJ;
    vg_buf_putc(b, obj ? '{' : '[');
    for (uint32_t c = nd->first_child; c != VG_NODE_NONE;) {
        const vg_node *cn = vg_event_node(t->ev, c);
        if (c != nd->first_child)
            vg_buf_putc(b, ',');
        if (obj) {
            put_quoted(b, cn->key.p, cn->key.len);
            vg_buf_putc(b, ':');
        }
        put_node(b, tmp, t, c, e);
        c = cn->next_sibling;
    }
    vg_buf_putc(b, obj ? '}' : ']');
}

/* ---- time ---- */

/* Days since 1970-01-01 -> civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* "YYYY-MM-DDTHH:MM:SS.ffffff" for microseconds since the epoch. */
static void format_time(uint64_t us, char out[64])
{
    uint64_t s = us / 1000000;
    int y;
    unsigned mo, d;
    civil_from_days((int64_t)(s / 86400), &y, &mo, &d);
    unsigned sod = (unsigned)(s % 86400);
    snprintf(out, 64, "%04d-%02u-%02uT%02u:%02u:%02u.%06u", y, mo, d, sod / 3600, (sod / 60) % 60,
             sod % 60, (unsigned)(us % 1000000));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "Usage: vigil_gen_events --regression DIR --count N --seed S --out FILE\n"
               "                        [--truth FILE] [--tp-every K]\n"
               "\n"
               "Write N synthetic EVTX-style JSON events (one per line) built from the SigmaHQ\n"
               "regression events under DIR: one regression case unchanged (but for\n"
               "timestamps and record ids) every K events (default 100), benign variations of\n"
               "the templates otherwise. --truth writes LINE, RULE_ID, CASE_INSTANCE and\n"
               "MATCH_COUNT (tab-separated) for every true-positive event.\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static void pick_case_order(size_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd_below((uint32_t)i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

int main(int argc, char **argv)
{
    const char *reg = NULL, *out_path = NULL, *truth_path = NULL;
    uint64_t count = 0, seed = 0, every = 100;
    bool have_count = false, have_seed = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "vigil_gen_events: %s: missing value or unknown option\n", a);
            usage(stderr);
            return 2;
        }
        bool ok = true;
        if (strcmp(a, "--regression") == 0)
            reg = v;
        else if (strcmp(a, "--out") == 0)
            out_path = v;
        else if (strcmp(a, "--truth") == 0)
            truth_path = v;
        else if (strcmp(a, "--count") == 0)
            ok = have_count = parse_u64(v, &count);
        else if (strcmp(a, "--seed") == 0)
            ok = have_seed = parse_u64(v, &seed);
        else if (strcmp(a, "--tp-every") == 0)
            ok = parse_u64(v, &every) && every >= 2;
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "vigil_gen_events: bad option or value: %s %s\n", a, v);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!reg || !out_path || !have_count || !have_seed) {
        fprintf(stderr, "vigil_gen_events: --regression, --count, --seed and --out are required\n");
        usage(stderr);
        return 2;
    }
    double t0 = now_s();
    g_rng = seed;

    corpus c = {0};
    struct stat st;
    if (stat(reg, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "vigil_gen_events: %s: not a directory\n", reg);
        return 1;
    }
    if (!find_cases(&c, reg, 0)) {
        corpus_free(&c);
        return 1;
    }
    if (c.n_cases == 0) {
        fprintf(stderr, "vigil_gen_events: %s: no regression cases found\n", reg);
        corpus_free(&c);
        return 1;
    }
    c.benign = malloc(c.n_tmpls * sizeof(*c.benign));
    if (!c.benign)
        return 1;
    unsigned class_sum = 0;
    for (int w = 0; w < W_COUNT; w++) {
        c.class_first[w] = c.n_benign;
        for (size_t i = 0; i < c.n_tmpls; i++)
            if (c.tmpls[i].benign && c.tmpls[i].what == w)
                c.benign[c.n_benign++] = i;
        c.class_n[w] = c.n_benign - c.class_first[w];
        if (c.class_n[w])
            class_sum += class_weight[w];
    }
    if (c.n_benign == 0) {
        fprintf(stderr, "vigil_gen_events: no template can serve as benign traffic\n");
        corpus_free(&c);
        return 1;
    }
    unsigned weight_sum = 0;
    for (int i = 0; i < P_COUNT; i++)
        weight_sum += procs[i].weight;

    FILE *out = fopen(out_path, "wb");
    if (!out) {
        fprintf(stderr, "vigil_gen_events: %s: %s\n", out_path, strerror(errno));
        corpus_free(&c);
        return 1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    FILE *truth = NULL;
    if (truth_path && !(truth = fopen(truth_path, "w"))) {
        fprintf(stderr, "vigil_gen_events: %s: %s\n", truth_path, strerror(errno));
        fclose(out);
        corpus_free(&c);
        return 1;
    }

    size_t *order = malloc(c.n_cases * sizeof(*order));
    if (!order)
        return 1;
    pick_case_order(order, c.n_cases);
    size_t next_case = 0;

    vg_buf line, tmp;
    vg_buf_init(&line, 0);
    vg_buf_init(&tmp, 0);
    uint64_t clock_us = 1772438400ull * 1000000; /* 2026-03-02T08:00:00Z */
    uint64_t next_tp = every / 2, n_tp_events = 0, n_tp_cases = 0, bytes = 0;
    char stamp[64];
    bool io_ok = true;
    for (uint64_t ln = 0; ln < count && io_ok;) {
        const tcase *tc = NULL;
        if (ln >= next_tp) {
            next_tp += every;
            tc = &c.cases[order[next_case]];
            if (ln + tc->n > count) {
                tc = NULL; /* does not fit at the end: benign instead */
            } else if (++next_case == c.n_cases) {
                pick_case_order(order, c.n_cases);
                next_case = 0;
            }
        }
        size_t k_first = tc ? tc->first : 0;
        size_t k_n = tc ? tc->n : 1;
        for (size_t k = 0; k < k_n; k++, ln++) {
            clock_us += rnd_below(1000);
            format_time(clock_us, stamp);
            ectx e = {0};
            e.stamp_iso = stamp;
            e.record_id = 1000000 + ln;
            const tmpl *t;
            if (tc) {
                t = &c.tmpls[k_first + k];
                if (truth)
                    fprintf(truth, "%llu\t%s\t%llu\t%ld\n", (unsigned long long)ln, tc->rule_id,
                            (unsigned long long)n_tp_cases, tc->match_count);
                n_tp_events++;
            } else {
                unsigned cw = rnd_below(class_sum);
                int cl = 0;
                while (!c.class_n[cl] || cw >= class_weight[cl]) {
                    if (c.class_n[cl])
                        cw -= class_weight[cl];
                    cl++;
                }
                t = &c.tmpls[c.benign[c.class_first[cl] + rnd_below((uint32_t)c.class_n[cl])]];
                e.benign = true;
                e.host = rnd_below(N_HOSTS);
                snprintf(e.user, sizeof(e.user), "%c.%s", 'a' + e.host % 26,
                         last_names[(e.host / 26) % (sizeof(last_names) / sizeof(*last_names))]);
                unsigned w = rnd_below(weight_sum);
                int pi = 0;
                while (w >= procs[pi].weight)
                    w -= procs[pi++].weight;
                e.tfile = &files[rnd_below(sizeof(files) / sizeof(*files))];
                e.reg = &regvals[rnd_below(sizeof(regvals) / sizeof(*regvals))];
                e.pipe = &pipes[rnd_below(sizeof(pipes) / sizeof(*pipes))];
                if (t->what == W_DLL)
                    e.lib = &dlls[rnd_below(sizeof(dlls) / sizeof(*dlls))];
                else if (t->what == W_FILE)
                    pi = e.tfile->writer;
                else if (t->what == W_REG)
                    pi = e.reg->writer;
                else if (t->what == W_PIPE)
                    pi = e.pipe->writer;
                e.p = &procs[pi];
                e.parent = &procs[e.p->parent];
            }
            vg_buf_clear(&line);
            put_node(&line, &tmp, t, 0, &e);
            vg_buf_putc(&line, '\n');
            if (vg_buf_status(&line) != VG_OK || vg_buf_status(&tmp) != VG_OK) {
                fprintf(stderr, "vigil_gen_events: out of memory\n");
                io_ok = false;
                break;
            }
            if (fwrite(line.p, 1, line.len, out) != line.len) {
                io_ok = false;
                break;
            }
            bytes += line.len;
        }
        if (tc)
            n_tp_cases++;
    }
    if (fclose(out) != 0)
        io_ok = false;
    if (truth && fclose(truth) != 0)
        io_ok = false;
    if (!io_ok)
        fprintf(stderr, "vigil_gen_events: writing failed: %s\n", strerror(errno));
    else
        fprintf(stderr,
                "vigil_gen_events: %llu events (%llu true-positive events in %llu case copies; "
                "%zu cases, %zu templates, %zu benign), %llu bytes, %.2f s\n",
                (unsigned long long)count, (unsigned long long)n_tp_events,
                (unsigned long long)n_tp_cases, c.n_cases, c.n_tmpls, c.n_benign,
                (unsigned long long)bytes, now_s() - t0);
    vg_buf_fini(&line);
    vg_buf_fini(&tmp);
    free(order);
    corpus_free(&c);
    return io_ok ? 0 : 1;
}
