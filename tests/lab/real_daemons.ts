/**
 * The `real-daemons` lab: real, unmodified daemons from Debian packages, each started inside the
 * lab's target namespace with its configuration under a per-lab temporary directory, for the
 * fingerprint corpus (capture.ts) and its replay tests (fingerprint_replay_test.ts).
 *
 * ```ts
 * await using rl = await RealDaemonsLab.up({ tag: "fp" });
 * rl.started; // the daemons that came up, with their ports and ground truth
 * ```
 *
 * Packages are installed when missing (apt-get, with a policy-rc.d that exits 101 so that apt
 * never starts them in the root namespace). Each daemon runs in the foreground under
 * `ip netns exec`, so the pid we hold is the daemon's own; teardown stops those pids, then the lab
 * removes its namespaces (and whatever else runs in them) and the temporary directory.
 */

import { Lab } from "./mod.ts";
import { run } from "./_exec.ts";

/** One port of a daemon, with what it is (the ground truth to score answers against). */
export interface DaemonPort {
  proto: "tcp" | "udp";
  port: number;
  /** The service name as nmap calls it ("ssh", "imap", "domain"…; "ssl/imap" is "imap", tls). */
  service: string;
  /** Product names that count as right (nmap's wording first). */
  products: string[];
  /** The port speaks TLS from the first byte. */
  tls?: boolean;
  /** The product has no version to tell on this port: product only is the full answer. */
  noVersion?: boolean;
}

/** What a daemon's set-up step gets. */
export interface DaemonContext {
  /** The daemon's own directory (created, mode 0755). */
  dir: string;
  /** The target's service address. */
  v4: string;
  /** A self-signed certificate and its key (PEM), readable by everyone. */
  cert: string;
  key: string;
}

/** One daemon of the lab. */
export interface Daemon {
  name: string;
  /** The package whose upstream version is the ground truth. */
  pkg: string;
  /** Packages to install when missing (default: [pkg]). */
  install?: string[];
  ports: DaemonPort[];
  /** Writes configuration and returns commands to run (in the target) before starting. */
  setup?: (c: DaemonContext) => Promise<string[][]> | string[][];
  /** The foreground command line. */
  argv: (c: DaemonContext) => string[];
  /** Other daemons it needs first (rpc.statd needs rpcbind). */
  after?: string;
}

const w = (path: string, text: string, mode = 0o644) =>
  Deno.writeTextFile(path, text, { mode }).then(() => Deno.chmod(path, mode));
const lines = (...l: string[]) => l.join("\n") + "\n";
const tcp = (
  port: number,
  service: string,
  products: string[],
  extra: Partial<DaemonPort> = {},
) => ({ proto: "tcp" as const, port, service, products, ...extra });
const udp = (
  port: number,
  service: string,
  products: string[],
  extra: Partial<DaemonPort> = {},
) => ({ proto: "udp" as const, port, service, products, ...extra });

/** The daemons, in start order. */
export const DAEMONS: Daemon[] = [
  {
    name: "openssh",
    pkg: "openssh-server",
    ports: [tcp(22, "ssh", ["OpenSSH"])],
    setup: async (c) => {
      await w(
        `${c.dir}/sshd_config`,
        lines(
          "Port 22",
          `HostKey ${c.dir}/host_ed25519`,
          `PidFile ${c.dir}/sshd.pid`,
          "UsePAM no",
          "MaxStartups 500",
          "MaxSessions 100",
        ),
      );
      return [
        ["mkdir", "-p", "/run/sshd"],
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${c.dir}/host_ed25519`],
      ];
    },
    argv: (c) => ["/usr/sbin/sshd", "-D", "-e", "-f", `${c.dir}/sshd_config`],
  },
  {
    name: "dropbear",
    pkg: "dropbear-bin",
    ports: [tcp(2222, "ssh", ["Dropbear sshd"])],
    setup: (c) => [["dropbearkey", "-t", "ed25519", "-f", `${c.dir}/host_ed25519`]],
    argv: (c) => ["dropbear", "-F", "-E", "-p", "2222", "-r", `${c.dir}/host_ed25519`],
  },
  {
    name: "exim",
    pkg: "exim4-daemon-light",
    ports: [tcp(25, "smtp", ["Exim smtpd"])],
    argv: () => ["/usr/sbin/exim4", "-bdf", "-oX", "0.0.0.0.25", "-oP", "/dev/null"],
  },
  {
    name: "dovecot",
    pkg: "dovecot-core",
    install: ["dovecot-imapd", "dovecot-pop3d", "dovecot-managesieved"],
    ports: [
      tcp(143, "imap", ["Dovecot imapd"], { noVersion: true }),
      tcp(110, "pop3", ["Dovecot pop3d"], { noVersion: true }),
      tcp(993, "imap", ["Dovecot imapd"], { tls: true, noVersion: true }),
      tcp(995, "pop3", ["Dovecot pop3d"], { tls: true, noVersion: true }),
      tcp(4190, "sieve", ["Dovecot Pigeonhole sieve", "Dovecot"], { noVersion: true }),
    ],
    setup: async (c) => {
      await w(
        `${c.dir}/dovecot.conf`,
        lines(
          "protocols = imap pop3 sieve",
          "listen = *",
          `base_dir = ${c.dir}/run`,
          `state_dir = ${c.dir}/state`,
          "ssl = yes",
          `ssl_cert = <${c.cert}`,
          `ssl_key = <${c.key}`,
          "log_path = /dev/stderr",
          "mail_location = maildir:/tmp/%u",
          "passdb {\n  driver = static\n  args = password=x\n}",
          "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/tmp\n}",
          "service imap-login {\n  inet_listener imap {\n    port = 143\n  }\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}",
          "service pop3-login {\n  inet_listener pop3 {\n    port = 110\n  }\n  inet_listener pop3s {\n    port = 995\n    ssl = yes\n  }\n}",
          "service managesieve-login {\n  inet_listener sieve {\n    port = 4190\n  }\n}",
        ),
      );
      return [["mkdir", "-p", `${c.dir}/run`, `${c.dir}/state`]];
    },
    argv: (c) => ["dovecot", "-F", "-c", `${c.dir}/dovecot.conf`],
  },
  {
    name: "bind",
    pkg: "bind9",
    ports: [tcp(53, "domain", ["ISC BIND"]), udp(53, "domain", ["ISC BIND"])],
    setup: async (c) => {
      await w(
        `${c.dir}/named.conf`,
        lines(
          "options {",
          `  directory "${c.dir}";`,
          `  pid-file "${c.dir}/named.pid";`,
          "  listen-on port 53 { any; };",
          "  listen-on-v6 { none; };",
          "  recursion no;",
          "  dnssec-validation no;",
          "};",
        ),
      );
      return [];
    },
    argv: (c) => ["named", "-f", "-4", "-c", `${c.dir}/named.conf`],
  },
  {
    name: "unbound",
    pkg: "unbound",
    ports: [tcp(5301, "domain", ["Unbound"]), udp(5301, "domain", ["Unbound"])],
    setup: async (c) => {
      await w(
        `${c.dir}/unbound.conf`,
        lines(
          "server:",
          "  interface: 0.0.0.0",
          "  port: 5301",
          '  username: ""',
          '  chroot: ""',
          `  pidfile: "${c.dir}/unbound.pid"`,
          "  do-daemonize: no",
          "  use-syslog: no",
          "  access-control: 0.0.0.0/0 allow",
          "  hide-version: no",
          "  do-ip6: no",
          // With its default 10 TCP slots, Unbound cuts the idle time of new TCP connections to
          // 200 ms once half are taken, and here stayed so after a few -sV runs: the NULL probe
          // of every later scan, nmap's too, then reads as tcpwrapped.
          "  incoming-num-tcp: 100",
          "remote-control:",
          "  control-enable: no",
        ),
      );
      return [];
    },
    argv: (c) => ["unbound", "-d", "-c", `${c.dir}/unbound.conf`],
  },
  {
    name: "dnsmasq",
    pkg: "dnsmasq-base",
    ports: [tcp(5302, "domain", ["dnsmasq"]), udp(5302, "domain", ["dnsmasq"])],
    argv: (c) => [
      "dnsmasq",
      "-k",
      "-C",
      "/dev/null",
      "--no-resolv",
      "--no-hosts",
      "-p",
      "5302",
      `--pid-file=${c.dir}/dnsmasq.pid`,
      "--user=nobody",
    ],
  },
  {
    name: "nsd",
    pkg: "nsd",
    ports: [tcp(5303, "domain", ["NLnet Labs NSD"]), udp(5303, "domain", ["NLnet Labs NSD"])],
    setup: async (c) => {
      await w(
        `${c.dir}/nsd.conf`,
        lines(
          "server:",
          "  port: 5303",
          "  ip-address: 0.0.0.0",
          '  username: ""',
          `  zonesdir: "${c.dir}"`,
          `  pidfile: "${c.dir}/nsd.pid"`,
          `  database: ""`,
          `  xfrdfile: "${c.dir}/xfrd.state"`,
          "  hide-version: no",
          "remote-control:",
          "  control-enable: no",
        ),
      );
      return [];
    },
    argv: (c) => ["nsd", "-d", "-c", `${c.dir}/nsd.conf`],
  },
  {
    name: "samba",
    pkg: "samba",
    ports: [
      tcp(139, "netbios-ssn", ["Samba smbd"]),
      tcp(445, "microsoft-ds", ["Samba smbd"]),
    ],
    setup: async (c) => {
      await w(`${c.dir}/smb.conf`, sambaConf(c.dir));
      return [[
        "mkdir",
        "-p",
        ...["lock", "state", "cache", "pid", "private"].map((d) => `${c.dir}/${d}`),
      ]];
    },
    argv: (c) => [
      "smbd",
      "-F",
      "--no-process-group",
      "--debug-stdout",
      `--configfile=${c.dir}/smb.conf`,
    ],
  },
  {
    name: "nmbd",
    pkg: "samba",
    ports: [
      udp(137, "netbios-ns", ["Samba nmbd", "Microsoft Windows netbios-ns"], { noVersion: true }),
    ],
    setup: async (c) => {
      // nmbd answers unicast only on the addresses of the interfaces it serves: the service
      // address too, or node status requests to it (nbstat, -sV) go unanswered.
      await w(
        `${c.dir}/smb.conf`,
        sambaConf(c.dir, [`  interfaces = ${c.v4}/32 eth0`, "  bind interfaces only = yes"]),
      );
      return [[
        "mkdir",
        "-p",
        ...["lock", "state", "cache", "pid", "private"].map((d) => `${c.dir}/${d}`),
      ]];
    },
    argv: (c) => [
      "nmbd",
      "-F",
      "--no-process-group",
      "--debug-stdout",
      `--configfile=${c.dir}/smb.conf`,
    ],
  },
  {
    name: "cups",
    pkg: "cups-daemon",
    ports: [tcp(631, "ipp", ["CUPS"])],
    setup: async (c) => {
      await w(
        `${c.dir}/cupsd.conf`,
        lines(
          "Listen 0.0.0.0:631",
          "Browsing No",
          "DefaultAuthType None",
          "<Location />\n  Order allow,deny\n  Allow all\n</Location>",
        ),
      );
      await w(
        `${c.dir}/cups-files.conf`,
        lines(
          `ServerRoot ${c.dir}`,
          `RequestRoot ${c.dir}/spool`,
          `CacheDir ${c.dir}/cache`,
          `StateDir ${c.dir}/state`,
          `TempDir ${c.dir}/tmp`,
          `AccessLog ${c.dir}/access_log`,
          `ErrorLog ${c.dir}/error_log`,
          `PageLog ${c.dir}/page_log`,
          "User lp",
          "Group lp",
        ),
      );
      return [
        ["mkdir", "-p", ...["spool", "cache", "state", "tmp"].map((d) => `${c.dir}/${d}`)],
        ["chmod", "0755", c.dir],
      ];
    },
    argv: (c) => ["cupsd", "-f", "-c", `${c.dir}/cupsd.conf`, "-s", `${c.dir}/cups-files.conf`],
  },
  {
    name: "slapd",
    pkg: "slapd",
    ports: [tcp(389, "ldap", ["OpenLDAP"])],
    setup: async (c) => {
      await w(
        `${c.dir}/slapd.conf`,
        lines(
          "include /etc/ldap/schema/core.schema",
          `pidfile ${c.dir}/slapd.pid`,
          `argsfile ${c.dir}/slapd.args`,
        ),
      );
      return [];
    },
    argv: (c) => ["slapd", "-d", "0", "-h", "ldap://0.0.0.0:389/", "-f", `${c.dir}/slapd.conf`],
  },
  {
    name: "mariadb",
    pkg: "mariadb-server",
    ports: [tcp(3306, "mysql", ["MariaDB", "MySQL"])],
    setup: (c) => [
      ["mkdir", "-p", `${c.dir}/data`],
      ["chown", "-R", "mysql:mysql", c.dir],
      [
        "mariadb-install-db",
        "--no-defaults",
        `--datadir=${c.dir}/data`,
        "--user=mysql",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ],
    ],
    argv: (c) => [
      "mariadbd",
      "--no-defaults",
      `--datadir=${c.dir}/data`,
      `--socket=${c.dir}/mysqld.sock`,
      `--pid-file=${c.dir}/mysqld.pid`,
      "--port=3306",
      "--bind-address=0.0.0.0",
      "--user=mysql",
      "--skip-log-bin",
    ],
  },
  {
    name: "postgresql",
    pkg: "postgresql-15",
    install: ["postgresql"],
    ports: [tcp(5432, "postgresql", ["PostgreSQL DB"])],
    setup: (c) => [
      ["chown", "postgres", c.dir],
      [
        "runuser",
        "-u",
        "postgres",
        "--",
        "/usr/lib/postgresql/15/bin/initdb",
        "-D",
        `${c.dir}/pg`,
        "-A",
        "trust",
      ],
    ],
    argv: (c) => [
      "runuser",
      "-u",
      "postgres",
      "--",
      "/usr/lib/postgresql/15/bin/postgres",
      "-D",
      `${c.dir}/pg`,
      "-c",
      "listen_addresses=*",
      "-c",
      "port=5432",
      "-c",
      `unix_socket_directories=${c.dir}`,
    ],
  },
  {
    name: "krb5kdc",
    pkg: "krb5-kdc",
    ports: [tcp(88, "kerberos-sec", ["MIT Kerberos"]), udp(88, "kerberos-sec", ["MIT Kerberos"])],
    setup: async (c) => {
      await krbFiles(c);
      return [[
        "env",
        `KRB5_CONFIG=${c.dir}/krb5.conf`,
        `KRB5_KDC_PROFILE=${c.dir}/kdc.conf`,
        "kdb5_util",
        "create",
        "-s",
        "-r",
        "LAB.TEST",
        "-P",
        "labmaster",
      ]];
    },
    argv: (c) => [
      "env",
      `KRB5_CONFIG=${c.dir}/krb5.conf`,
      `KRB5_KDC_PROFILE=${c.dir}/kdc.conf`,
      "krb5kdc",
      "-n",
      "-r",
      "LAB.TEST",
    ],
  },
  {
    name: "kadmind",
    pkg: "krb5-admin-server",
    after: "krb5kdc",
    ports: [tcp(749, "kerberos-adm", ["MIT Kerberos"], { noVersion: true })],
    argv: (c) => [
      "env",
      `KRB5_CONFIG=${c.dir.replace(/kadmind$/, "krb5kdc")}/krb5.conf`,
      `KRB5_KDC_PROFILE=${c.dir.replace(/kadmind$/, "krb5kdc")}/kdc.conf`,
      "kadmind",
      "-nofork",
      "-r",
      "LAB.TEST",
    ],
  },
  {
    name: "rsyncd",
    pkg: "rsync",
    ports: [tcp(873, "rsync", ["rsyncd"], { noVersion: true })],
    setup: async (c) => {
      await w(
        `${c.dir}/rsyncd.conf`,
        lines(`pid file = ${c.dir}/rsyncd.pid`, "use chroot = no", "[pub]", `  path = ${c.dir}`),
      );
      return [];
    },
    argv: (
      c,
    ) => ["rsync", "--daemon", "--no-detach", `--config=${c.dir}/rsyncd.conf`, "--port=873"],
  },
  {
    name: "squid",
    pkg: "squid",
    ports: [tcp(3128, "http-proxy", ["Squid http proxy"])],
    setup: async (c) => {
      await w(
        `${c.dir}/squid.conf`,
        lines(
          "http_port 3128",
          `pid_filename ${c.dir}/squid.pid`,
          `cache_log ${c.dir}/cache.log`,
          "access_log none",
          "cache deny all",
          "http_access allow all",
          `coredump_dir ${c.dir}`,
          "shutdown_lifetime 1 seconds",
        ),
      );
      return [["chown", "proxy:proxy", c.dir]];
    },
    argv: (c) => ["squid", "-N", "-f", `${c.dir}/squid.conf`],
  },
  {
    name: "mosquitto",
    pkg: "mosquitto",
    ports: [tcp(1883, "mqtt", ["Mosquitto"])],
    setup: async (c) => {
      await w(`${c.dir}/mosquitto.conf`, lines("listener 1883 0.0.0.0", "allow_anonymous true"));
      return [];
    },
    argv: (c) => ["mosquitto", "-c", `${c.dir}/mosquitto.conf`],
  },
  {
    name: "redis",
    pkg: "redis-server",
    install: ["redis-server"],
    ports: [tcp(6379, "redis", ["Redis key-value store"])],
    argv: (c) => [
      "redis-server",
      "--port",
      "6379",
      "--bind",
      "0.0.0.0",
      "--protected-mode",
      "no",
      "--dir",
      c.dir,
      "--daemonize",
      "no",
      "--save",
      "",
    ],
  },
  {
    name: "memcached",
    pkg: "memcached",
    ports: [tcp(11211, "memcached", ["Memcached"]), udp(11211, "memcached", ["Memcached"])],
    argv: () => ["memcached", "-u", "nobody", "-p", "11211", "-U", "11211", "-l", "0.0.0.0"],
  },
  {
    name: "vsftpd",
    pkg: "vsftpd",
    ports: [tcp(21, "ftp", ["vsftpd"])],
    setup: async (c) => {
      await w(
        `${c.dir}/vsftpd.conf`,
        lines(
          "listen=YES",
          "listen_port=21",
          "background=NO",
          "anonymous_enable=YES",
          `anon_root=${c.dir}`,
          "secure_chroot_dir=/run/vsftpd/empty",
          "max_per_ip=0",
          "max_clients=0",
        ),
      );
      return [["mkdir", "-p", "/run/vsftpd/empty"]];
    },
    argv: (c) => ["vsftpd", `${c.dir}/vsftpd.conf`],
  },
  {
    name: "nginx",
    pkg: "nginx-light",
    install: ["nginx-light"],
    ports: [tcp(80, "http", ["nginx"])],
    setup: async (c) => {
      await w(
        `${c.dir}/nginx.conf`,
        lines(
          `pid ${c.dir}/nginx.pid;`,
          `error_log ${c.dir}/error.log;`,
          "events {}",
          "http {",
          "  access_log off;",
          `  client_body_temp_path ${c.dir}/body;`,
          `  proxy_temp_path ${c.dir}/proxy;`,
          `  fastcgi_temp_path ${c.dir}/fcgi;`,
          `  uwsgi_temp_path ${c.dir}/uwsgi;`,
          `  scgi_temp_path ${c.dir}/scgi;`,
          `  server { listen 80; root ${c.dir}; }`,
          "}",
        ),
      );
      return [];
    },
    argv: (c) => ["nginx", "-c", `${c.dir}/nginx.conf`, "-g", "daemon off;"],
  },
  {
    name: "apache",
    pkg: "apache2",
    ports: [tcp(8080, "http", ["Apache httpd"])],
    setup: async (c) => {
      const mods = ["mpm_event", "authz_core", "dir", "mime"];
      await w(
        `${c.dir}/apache2.conf`,
        lines(
          ...mods.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
          `ServerRoot ${c.dir}`,
          "ServerName real.lab",
          "Listen 8080",
          `PidFile ${c.dir}/apache2.pid`,
          `Mutex file:${c.dir}`,
          `ErrorLog ${c.dir}/error.log`,
          `DocumentRoot ${c.dir}/www`,
          "TypesConfig /etc/mime.types",
          "User www-data",
          "Group www-data",
        ),
      );
      await Deno.mkdir(`${c.dir}/www`, { recursive: true });
      await w(`${c.dir}/www/index.html`, "<html><title>lab</title>lab</html>\n");
      return [];
    },
    argv: (c) => ["apache2", "-f", `${c.dir}/apache2.conf`, "-DFOREGROUND"],
  },
  {
    name: "lighttpd",
    pkg: "lighttpd",
    ports: [tcp(8081, "http", ["lighttpd"])],
    setup: async (c) => {
      await w(
        `${c.dir}/lighttpd.conf`,
        lines("server.port = 8081", `server.document-root = "${c.dir}"`),
      );
      return [];
    },
    argv: (c) => ["lighttpd", "-D", "-f", `${c.dir}/lighttpd.conf`],
  },
  {
    name: "haproxy",
    pkg: "haproxy",
    ports: [tcp(8082, "http", ["HAProxy http proxy", "HAProxy"], { noVersion: true })],
    setup: async (c) => {
      await w(
        `${c.dir}/haproxy.cfg`,
        lines(
          "defaults",
          "  mode http",
          // Not 10 s: HAProxy's 408 at `timeout client` would race banner's 10 s read (nmap's
          // comm: 5 s connect + 5 s request), and whichever tool read it would print a banner.
          "  timeout client 30s",
          "  timeout connect 5s",
          "  timeout server 10s",
          "frontend web",
          "  bind 0.0.0.0:8082",
          "  default_backend none",
          "backend none",
        ),
      );
      return [];
    },
    argv: (c) => ["haproxy", "-db", "-f", `${c.dir}/haproxy.cfg`],
  },
  {
    name: "privoxy",
    pkg: "privoxy",
    ports: [tcp(8118, "http-proxy", ["Privoxy http proxy"])],
    setup: async (c) => {
      await w(
        `${c.dir}/config`,
        lines("confdir /etc/privoxy", `logdir ${c.dir}`, "listen-address 0.0.0.0:8118"),
      );
      return [];
    },
    argv: (c) => ["privoxy", "--no-daemon", `${c.dir}/config`],
  },
  {
    name: "tinyproxy",
    // The daemon's own package: "tinyproxy" adds only its init scripts, and may be absent.
    pkg: "tinyproxy-bin",
    ports: [tcp(8888, "http-proxy", ["tinyproxy"])],
    setup: async (c) => {
      await w(
        `${c.dir}/tinyproxy.conf`,
        lines("Port 8888", "Listen 0.0.0.0", "User nobody", "Group nogroup", "MaxClients 100"),
      );
      return [];
    },
    argv: (c) => ["tinyproxy", "-d", "-c", `${c.dir}/tinyproxy.conf`],
  },
  {
    name: "dante",
    pkg: "dante-server",
    ports: [tcp(1080, "socks5", ["Dante socks5"], { noVersion: true })],
    setup: async (c) => {
      await w(
        `${c.dir}/danted.conf`,
        lines(
          "logoutput: stderr",
          "internal: 0.0.0.0 port = 1080",
          "external: eth0",
          "socksmethod: none",
          "clientmethod: none",
          "user.privileged: root",
          "user.unprivileged: nobody",
          "client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }",
          "socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }",
        ),
      );
      return [];
    },
    argv: (c) => ["danted", "-f", `${c.dir}/danted.conf`, "-N", "1"],
  },
  {
    name: "chrony",
    pkg: "chrony",
    ports: [udp(123, "ntp", ["chrony"], { noVersion: true })],
    setup: async (c) => {
      await w(
        `${c.dir}/chrony.conf`,
        lines("allow all", "local stratum 10", "cmdport 0", `pidfile ${c.dir}/chronyd.pid`),
      );
      return [];
    },
    argv: (c) => ["chronyd", "-d", "-x", "-U", "-u", "root", "-f", `${c.dir}/chrony.conf`],
  },
  {
    name: "snmpd",
    pkg: "snmpd",
    ports: [
      udp(161, "snmp", ["net-snmp"]),
      tcp(199, "smux", ["Linux SNMP multiplexer"], { noVersion: true }),
    ],
    setup: async (c) => {
      await w(
        `${c.dir}/snmpd.conf`,
        lines(
          "agentaddress udp:161",
          "rocommunity public",
          "smuxsocket 0.0.0.0",
          "master smux",
          "sysLocation lab",
          "sysContact lab",
        ),
      );
      return [];
    },
    argv: (
      c,
    ) => ["snmpd", "-f", "-Le", "-C", "-c", `${c.dir}/snmpd.conf`, "-p", `${c.dir}/snmpd.pid`],
  },
  {
    name: "rpcbind",
    pkg: "rpcbind",
    ports: [tcp(111, "rpcbind", ["rpcbind"]), udp(111, "rpcbind", ["rpcbind"])],
    // rpcbind's lock file and socket are /run's (one rpcbind per machine), and another lab may
    // run one: each lab's gets a /run of its own. Its programs register over 127.0.0.1:111.
    argv: () => privateRun("mkdir -p /run/rpcbind && exec rpcbind -f -w"),
  },
  {
    name: "rpc.statd",
    pkg: "nfs-common",
    after: "rpcbind",
    ports: [
      tcp(32765, "status", ["status"], { noVersion: true }),
      udp(32765, "status", ["status"], { noVersion: true }),
    ],
    setup: (c) => [
      ["mkdir", "-p", `${c.dir}/sm`, `${c.dir}/sm.bak`],
      ["chown", "-R", "statd", c.dir],
    ],
    // In a /run of its own too: it finds no socket of another lab's rpcbind there.
    argv: (c) => privateRun(`exec rpc.statd -F -L -d -p 32765 -o 32766 -P ${c.dir}`),
  },
  {
    name: "inetd",
    pkg: "openbsd-inetd",
    ports: [
      tcp(7, "echo", [], { noVersion: true }),
      tcp(9, "discard", [], { noVersion: true }),
      tcp(13, "daytime", [], { noVersion: true }),
      tcp(37, "time", [], { noVersion: true }),
      udp(7, "echo", [], { noVersion: true }),
      udp(13, "daytime", [], { noVersion: true }),
    ],
    setup: async (c) => {
      await w(
        `${c.dir}/inetd.conf`,
        lines(
          "echo stream tcp nowait root internal",
          "echo dgram udp wait root internal",
          "discard stream tcp nowait root internal",
          "daytime stream tcp nowait root internal",
          "daytime dgram udp wait root internal",
          "time stream tcp nowait root internal",
          "telnet stream tcp nowait root /usr/sbin/telnetd telnetd",
        ),
      );
      return [];
    },
    argv: (c) => ["inetd", "-d", `${c.dir}/inetd.conf`],
  },
  {
    name: "telnetd",
    pkg: "inetutils-telnetd",
    after: "inetd",
    ports: [tcp(23, "telnet", ["Linux telnetd"], { noVersion: true })],
    argv: () => [],
  },
  {
    name: "tftpd-hpa",
    pkg: "tftpd-hpa",
    ports: [udp(69, "tftp", [], { noVersion: true })],
    setup: () => [],
    argv: (
      c,
    ) => [
      "in.tftpd",
      "--foreground",
      "--listen",
      "--address",
      "0.0.0.0:69",
      "--secure",
      "--user",
      "nobody",
      c.dir,
    ],
  },
  {
    name: "openvpn",
    pkg: "openvpn",
    ports: [udp(1194, "openvpn", ["OpenVPN"], { noVersion: true })],
    argv: (c) => [
      "openvpn",
      "--dev",
      "null",
      "--proto",
      "udp",
      "--port",
      "1194",
      "--tls-server",
      "--ca",
      c.cert,
      "--cert",
      c.cert,
      "--key",
      c.key,
      "--dh",
      "none",
      "--verb",
      "1",
    ],
  },
  {
    name: "coturn",
    pkg: "coturn",
    ports: [tcp(3478, "stun", ["Coturn"]), udp(3478, "stun", ["Coturn"])],
    argv: (c) => [
      "turnserver",
      "-n",
      "--listening-port",
      "3478",
      "--listening-ip",
      c.v4,
      "--no-tls",
      "--no-dtls",
      "--no-cli",
      "--log-file",
      "stdout",
      "--pidfile",
      `${c.dir}/turnserver.pid`,
      // Its user database in the lab's directory: the default is /var/lib/turn, outside the lab.
      "--db",
      `${c.dir}/turndb`,
      "--realm",
      "lab.test",
    ],
  },
  {
    name: "kamailio",
    pkg: "kamailio",
    ports: [
      tcp(5060, "sip", ["kamailio"]),
      udp(5060, "sip", ["kamailio"]),
    ],
    setup: async (c) => {
      await w(
        `${c.dir}/kamailio.cfg`,
        lines(
          "#!KAMAILIO",
          "listen=udp:0.0.0.0:5060",
          "listen=tcp:0.0.0.0:5060",
          "children=2",
          'mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"',
          'loadmodule "sl.so"',
          "request_route {",
          '  sl_send_reply("200", "OK");',
          "}",
        ),
      );
      return [];
    },
    argv: (
      c,
    ) => [
      "kamailio",
      "-DD",
      "-E",
      "-f",
      `${c.dir}/kamailio.cfg`,
      "-P",
      `${c.dir}/k.pid`,
      "-Y",
      c.dir,
    ],
  },
  {
    name: "murmur",
    pkg: "mumble-server",
    ports: [tcp(64738, "murmur", ["Murmur"], { tls: true }), udp(64738, "murmur", ["Murmur"])],
    setup: async (c) => {
      await w(
        `${c.dir}/murmur.ini`,
        lines(
          `database=${c.dir}/murmur.sqlite`,
          "port=64738",
          `pidfile=${c.dir}/murmur.pid`,
          // Murmur bans an address after 10 connections in 120 s (for 300 s): every scan
          // after the first would see it close at once, tcpwrapped, whatever the scanner.
          "autobanAttempts=0",
        ),
      );
      return [["chown", "mumble-server", c.dir]];
    },
    argv: (c) => ["murmurd", "-fg", "-ini", `${c.dir}/murmur.ini`],
  },
  {
    name: "ngircd",
    pkg: "ngircd",
    ports: [tcp(6667, "irc", ["ngircd"])],
    setup: async (c) => {
      await w(
        `${c.dir}/ngircd.conf`,
        lines(
          "[Global]",
          "Name = irc.lab.test",
          "Info = lab",
          "Ports = 6667",
          `PidFile = ${c.dir}/ngircd.pid`,
          "ServerUID = nobody",
          "[Limits]",
          "MaxConnectionsIP = 0",
          "[Options]",
          "PAM = no",
          "Ident = no",
          "DNS = no",
        ),
      );
      return [];
    },
    argv: (c) => ["ngircd", "-n", "-f", `${c.dir}/ngircd.conf`],
  },
  {
    name: "minidlna",
    pkg: "minidlna",
    ports: [tcp(8200, "upnp", ["MiniDLNA"])],
    setup: async (c) => {
      await w(
        `${c.dir}/minidlna.conf`,
        lines("port=8200", `media_dir=${c.dir}/media`, `db_dir=${c.dir}/db`, `log_dir=${c.dir}`),
      );
      return [["mkdir", "-p", `${c.dir}/media`, `${c.dir}/db`]];
    },
    argv: (c) => ["minidlnad", "-d", "-f", `${c.dir}/minidlna.conf`, "-P", `${c.dir}/minidlna.pid`],
  },
  {
    name: "iperf3",
    pkg: "iperf3",
    ports: [tcp(5201, "iperf3", ["iperf3"], { noVersion: true })],
    argv: () => ["iperf3", "-s", "-p", "5201"],
  },
  {
    name: "distccd",
    pkg: "distcc",
    ports: [tcp(3632, "distccd", ["distccd"])],
    argv: () => [
      "distccd",
      "--no-detach",
      "--daemon",
      "--allow",
      "0.0.0.0/0",
      "--port",
      "3632",
      "--user",
      "nobody",
      "--log-stderr",
    ],
  },
  {
    name: "webfsd",
    pkg: "webfs",
    ports: [tcp(8083, "http", ["WebFS"])],
    argv: (c) => ["webfsd", "-F", "-p", "8083", "-r", c.dir, "-u", "nobody", "-g", "nogroup"],
  },
  {
    name: "mini_httpd",
    pkg: "mini-httpd",
    ports: [tcp(8084, "http", ["mini_httpd"])],
    argv: (c) => ["mini_httpd", "-D", "-p", "8084", "-d", c.dir, "-u", "nobody", "-l", "/dev/null"],
  },
  {
    name: "beanstalkd",
    pkg: "beanstalkd",
    ports: [tcp(11300, "beanstalkd", ["beanstalkd"])],
    argv: () => ["beanstalkd", "-l", "0.0.0.0", "-p", "11300"],
  },
  {
    name: "gearmand",
    pkg: "gearman-job-server",
    ports: [tcp(4730, "gearman", ["Gearman Job Queue System", "gearmand"])],
    argv: (
      c,
    ) => [
      "gearmand",
      "-p",
      "4730",
      "-L",
      "0.0.0.0",
      "--log-file",
      `${c.dir}/gearmand.log`,
      "-u",
      "nobody",
    ],
  },
  {
    name: "monit",
    pkg: "monit",
    ports: [tcp(2812, "http", ["monit httpd"])],
    setup: async (c) => {
      await w(
        `${c.dir}/monitrc`,
        lines(
          "set daemon 60",
          `set pidfile ${c.dir}/monit.pid`,
          `set idfile ${c.dir}/monit.id`,
          `set statefile ${c.dir}/monit.state`,
          "set httpd port 2812 and",
          "  use address 0.0.0.0",
          "  allow admin:monit",
        ),
        0o600,
      );
      return [];
    },
    argv: (c) => ["monit", "-I", "-c", `${c.dir}/monitrc`],
  },
  {
    name: "mpd",
    pkg: "mpd",
    ports: [tcp(6600, "mpd", ["Music Player Daemon"])],
    setup: async (c) => {
      await w(
        `${c.dir}/mpd.conf`,
        lines(
          `music_directory "${c.dir}"`,
          `db_file "${c.dir}/mpd.db"`,
          `pid_file "${c.dir}/mpd.pid"`,
          'bind_to_address "0.0.0.0"',
          'port "6600"',
          'audio_output {\n  type "null"\n  name "null"\n}',
        ),
      );
      return [];
    },
    argv: (c) => ["mpd", "--no-daemon", "--stderr", `${c.dir}/mpd.conf`],
  },
  {
    name: "icecast",
    pkg: "icecast2",
    ports: [tcp(8000, "http", ["Icecast"])],
    setup: async (c) => {
      await w(
        `${c.dir}/icecast.xml`,
        lines(
          "<icecast>",
          "<limits><clients>100</clients><sources>2</sources></limits>",
          "<authentication><source-password>lab</source-password><admin-user>admin</admin-user><admin-password>lab</admin-password></authentication>",
          "<hostname>real.lab</hostname>",
          "<listen-socket><port>8000</port></listen-socket>",
          `<paths><basedir>/usr/share/icecast2</basedir><logdir>${c.dir}</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot><pidfile>${c.dir}/icecast.pid</pidfile></paths>`,
          "<logging><accesslog>-</accesslog><errorlog>-</errorlog><loglevel>2</loglevel></logging>",
          "<security><chroot>0</chroot><changeowner><user>icecast2</user><group>icecast</group></changeowner></security>",
          "</icecast>",
        ),
      );
      return [["chown", "icecast2", c.dir]];
    },
    argv: (c) => ["icecast2", "-c", `${c.dir}/icecast.xml`],
  },
  {
    name: "varnish",
    pkg: "varnish",
    ports: [tcp(6081, "http-proxy", ["Varnish http accelerator"], { noVersion: true })],
    argv: (c) => [
      "varnishd",
      "-F",
      "-a",
      "0.0.0.0:6081",
      "-b",
      // No backend (a closed port; 9 is inetd's discard, which would hold every fetch for a
      // minute): Varnish answers for itself (503), not Apache through it.
      "127.0.0.1:1",
      "-n",
      `${c.dir}/varnish`,
      "-s",
      "malloc,16m",
      "-T",
      "none",
    ],
  },
  {
    name: "etcd",
    pkg: "etcd-server",
    ports: [tcp(2379, "etcd-client", ["etcd"])],
    argv: (c) => [
      "etcd",
      "--data-dir",
      `${c.dir}/data`,
      "--listen-client-urls",
      "http://0.0.0.0:2379",
      "--advertise-client-urls",
      `http://${c.v4}:2379`,
      "--listen-peer-urls",
      "http://127.0.0.1:2380",
      "--initial-advertise-peer-urls",
      "http://127.0.0.1:2380",
      "--initial-cluster",
      "default=http://127.0.0.1:2380",
    ],
  },
  {
    name: "nats",
    pkg: "nats-server",
    ports: [tcp(4222, "nats", ["NATS Server", "nats-server"])],
    argv: () => ["nats-server", "-p", "4222", "-a", "0.0.0.0"],
  },
  {
    name: "zabbix-agent",
    pkg: "zabbix-agent",
    ports: [tcp(10050, "zabbix-agent", ["Zabbix agent"])],
    setup: async (c) => {
      await w(
        `${c.dir}/zabbix_agentd.conf`,
        lines(
          "ListenPort=10050",
          "Server=0.0.0.0/0",
          `PidFile=${c.dir}/zabbix.pid`,
          "LogType=console",
          "AllowRoot=1",
        ),
      );
      return [];
    },
    argv: (c) => ["zabbix_agentd", "-f", "-c", `${c.dir}/zabbix_agentd.conf`],
  },
  {
    name: "munin-node",
    pkg: "munin-node",
    ports: [tcp(4949, "munin", ["Munin"])],
    setup: async (c) => {
      await w(
        `${c.dir}/munin-node.conf`,
        lines(
          "log_level 1",
          `log_file ${c.dir}/munin-node.log`,
          `pid_file ${c.dir}/munin-node.pid`,
          "background 0",
          "setsid 0",
          "user root",
          "group root",
          "allow .*",
          "host *",
          "port 4949",
        ),
      );
      return [];
    },
    argv: (c) => ["munin-node", "--config", `${c.dir}/munin-node.conf`, "--foreground"],
  },
  {
    name: "nrpe",
    pkg: "nagios-nrpe-server",
    ports: [tcp(5666, "nrpe", ["Nagios NRPE"], { tls: true })],
    setup: async (c) => {
      await w(
        `${c.dir}/nrpe.cfg`,
        lines(
          "server_port=5666",
          "allowed_hosts=0.0.0.0/0",
          `pid_file=${c.dir}/nrpe.pid`,
          "nrpe_user=nobody",
          "nrpe_group=nogroup",
          "dont_blame_nrpe=0",
        ),
      );
      return [];
    },
    argv: (c) => ["nrpe", "-c", `${c.dir}/nrpe.cfg`, "-f"],
  },
  {
    name: "freeradius",
    pkg: "freeradius",
    ports: [udp(1812, "radius", ["FreeRADIUS"], { noVersion: true })],
    setup: (c) => [
      ["cp", "-a", "/etc/freeradius/3.0", `${c.dir}/raddb`],
    ],
    argv: (c) => ["freeradius", "-f", "-l", "stdout", "-d", `${c.dir}/raddb`],
  },
  {
    name: "git-daemon",
    pkg: "git",
    ports: [tcp(9418, "git", ["Git daemon"], { noVersion: true })],
    argv: (c) => [
      "git",
      "daemon",
      "--reuseaddr",
      `--base-path=${c.dir}`,
      "--export-all",
      "--port=9418",
      "--listen=0.0.0.0",
      "--user=nobody",
      "--group=nogroup",
    ],
  },
];

/**
 * An nginx of its own (not one of DAEMONS) with one `server { … }` block: `server` gives what goes
 * between the braces, `files` writes what it serves.
 */
export function nginxDaemon(
  name: string,
  port: DaemonPort,
  server: (c: DaemonContext) => string,
  files?: (c: DaemonContext) => Promise<void>,
): Daemon {
  return {
    name,
    pkg: "nginx-light",
    ports: [port],
    setup: async (c) => {
      const temp = ["body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map((t) => `  ${t === "body" ? "client_body" : t}_temp_path ${c.dir}/${t};`);
      await Deno.writeTextFile(
        `${c.dir}/nginx.conf`,
        [
          `pid ${c.dir}/nginx.pid;`,
          `error_log ${c.dir}/error.log;`,
          "events {}",
          "http {",
          "  access_log off;",
          ...temp,
          `  server { ${server(c)} }`,
          "}",
          "",
        ].join("\n"),
      );
      await files?.(c);
      return [];
    },
    argv: (c) => ["nginx", "-c", `${c.dir}/nginx.conf`, "-g", "daemon off;"],
  };
}

/**
 * nginx with HTTPS and HTTP/2 on 443: a server that answers ALPN (h2, http/1.1). Not one of
 * DAEMONS (the corpus has no port 443): the TLS lab tests add it.
 */
export const NGINX_TLS: Daemon = nginxDaemon(
  "nginx-tls",
  { proto: "tcp", port: 443, service: "https", products: ["nginx"], tls: true },
  (c) =>
    `listen 443 ssl http2; ssl_certificate ${c.cert}; ssl_certificate_key ${c.key}; root ${c.dir};`,
);

/** A command line run with an empty /run of its own (a private mount namespace); same pid. */
function privateRun(script: string): string[] {
  return ["unshare", "-m", "sh", "-c", `mount -t tmpfs tmpfs /run && ${script}`];
}

function sambaConf(dir: string, global: string[] = []): string {
  return lines(
    "[global]",
    ...global,
    "  server role = standalone server",
    "  workgroup = LAB",
    "  netbios name = REAL",
    `  lock directory = ${dir}/lock`,
    `  state directory = ${dir}/state`,
    `  cache directory = ${dir}/cache`,
    `  pid directory = ${dir}/pid`,
    `  private dir = ${dir}/private`,
    "  log file = /dev/null",
    "  disable spoolss = yes",
    "  load printers = no",
    "  printing = bsd",
    "  printcap name = /dev/null",
    "[pub]",
    `  path = ${dir}`,
    "  read only = yes",
    "  guest ok = yes",
  );
}

async function krbFiles(c: DaemonContext): Promise<void> {
  await w(
    `${c.dir}/krb5.conf`,
    lines(
      "[libdefaults]",
      "  default_realm = LAB.TEST",
      "[realms]",
      "  LAB.TEST = {",
      "    kdc = 127.0.0.1",
      "  }",
    ),
  );
  await w(
    `${c.dir}/kdc.conf`,
    lines(
      "[kdcdefaults]",
      "  kdc_ports = 88",
      "  kdc_tcp_ports = 88",
      "[realms]",
      "  LAB.TEST = {",
      `    database_name = ${c.dir}/principal`,
      `    key_stash_file = ${c.dir}/stash`,
      `    acl_file = ${c.dir}/kadm5.acl`,
      "    kadmind_port = 749",
      "  }",
    ),
  );
  await w(`${c.dir}/kadm5.acl`, "*/admin@LAB.TEST *\n");
}

// --- ground truth ----------------------------------------------------------------------------

/** The upstream version of a Debian version string: no epoch, no Debian revision, no +dfsg. */
export function upstreamVersion(debian: string): string {
  let v = debian.replace(/^\d+:/, "");
  const dash = v.lastIndexOf("-");
  if (dash > 0) v = v.slice(0, dash);
  return v.replace(/[+~](dfsg|ds|really|repack)[^]*$/i, "");
}

/** `dpkg-query -W` of a package: its version, or null when it is not installed. */
export async function installedVersion(pkg: string): Promise<string | null> {
  const r = await run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Version}", pkg]);
  if (r.code !== 0) return null;
  const [status, version] = r.stdout.split("|");
  return status?.startsWith("ii") && version ? version : null;
}

// --- installation ----------------------------------------------------------------------------

const POLICY_RC_D = "/usr/sbin/policy-rc.d";

/**
 * Installs the daemons' packages that are missing. apt never starts a service here: a
 * policy-rc.d that exits 101 is put in place first when there is none.
 */
export async function installMissing(
  daemons: Daemon[] = DAEMONS,
  log: (s: string) => void = () => {},
): Promise<void> {
  const want = new Set<string>();
  for (const d of daemons) {
    for (const p of d.install ?? [d.pkg]) if ((await installedVersion(p)) === null) want.add(p);
  }
  if (want.size === 0) return;
  try {
    await Deno.stat(POLICY_RC_D);
  } catch {
    await Deno.writeTextFile(
      POLICY_RC_D,
      "#!/bin/sh\n# no service starts from apt here\nexit 101\n",
      {
        mode: 0o755,
      },
    );
  }
  const policy = await run([POLICY_RC_D]);
  if (policy.code !== 101) {
    throw new Error(`${POLICY_RC_D} exits ${policy.code}, not 101: apt could start daemons here`);
  }
  log(`installing ${[...want].join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const upd = await run(["apt-get", "update"], { env, timeoutMs: 300_000 });
  if (upd.code !== 0) throw new Error(`apt-get update failed: ${upd.stderr.trim()}`);
  const r = await run(
    [
      "apt-get",
      "-o",
      "DPkg::Lock::Timeout=600",
      "install",
      "-y",
      "--no-install-recommends",
      ...want,
    ],
    { env, timeoutMs: 1_800_000 },
  );
  if (r.code !== 0) throw new Error(`apt-get install failed: ${r.stderr.trim().slice(-2000)}`);
}

// --- the lab ---------------------------------------------------------------------------------

/** Stops a daemon we started, by its pid: SIGTERM, then SIGKILL after 5 s. */
export async function stopDaemon(child: Deno.ChildProcess): Promise<void> {
  try {
    Deno.kill(child.pid, "SIGTERM");
  } catch { /* gone */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), 5000));
  if ((await Promise.race([child.status, late])) === "late") {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
  clearTimeout(timer);
}

/** Removes a directory that dying daemons may still be writing into (a few tries). */
async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await run(["rm", "-rf", dir]);
    if (!(await Deno.stat(dir).then(() => true, () => false))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`could not remove ${dir}`);
}

/** The scenario under the daemons: one routed target, no nftables policies, no responders. */
export const REAL_DAEMONS_SCENARIO = {
  name: "real-daemons",
  description: "real daemons from Debian packages in one routed target (real_daemons.ts)",
  topology: "routed" as const,
  hosts: [{ name: "real", hostname: "real.lab", rules: [] }],
  icmpRatelimit: false,
};

/** A daemon that came up, with the ground truth of its ports. */
export interface StartedDaemon {
  daemon: Daemon;
  /** The pid of the foreground process (0 when another daemon serves it, as inetd telnetd). */
  pid: number;
  /** `dpkg-query -W` version of its package, and the upstream part. */
  pkgVersion: string;
  version: string;
}

/** Options of {@link RealDaemonsLab.up}. */
export interface RealDaemonsOptions {
  tag: string;
  /** Default: every daemon of DAEMONS. */
  daemons?: Daemon[];
  /** How long all daemons together may take to listen (default 120 s). */
  timeoutMs?: number;
  log?: (s: string) => void;
}

/** The real-daemons lab: a {@link Lab} plus the daemons started in its target. */
export class RealDaemonsLab implements AsyncDisposable {
  readonly lab: Lab;
  readonly dir: string;
  readonly started: StartedDaemon[] = [];
  /** Daemons that did not come up, with why. */
  readonly failed: { name: string; why: string }[] = [];
  #children = new Map<number, Deno.ChildProcess>();
  #gone = false;

  private constructor(lab: Lab, dir: string) {
    this.lab = lab;
    this.dir = dir;
  }

  /** Brings the lab and its daemons up; on failure removes everything and rethrows. */
  static async up(opts: RealDaemonsOptions): Promise<RealDaemonsLab> {
    const log = opts.log ?? (() => {});
    const daemons = opts.daemons ?? DAEMONS;
    const lab = await Lab.up({ tag: opts.tag, scenario: REAL_DAEMONS_SCENARIO });
    let dir = "";
    let rl: RealDaemonsLab | undefined;
    try {
      dir = await Deno.makeTempDir({ prefix: `ph-fp-${lab.tag}-` });
      await Deno.chmod(dir, 0o755);
      rl = new RealDaemonsLab(lab, dir);
      await rl.#start(daemons, opts.timeoutMs ?? 120_000, log);
      return rl;
    } catch (e) {
      if (rl) await rl.down();
      else {
        await lab.down();
        if (dir) await removeDir(dir);
      }
      throw e;
    }
  }

  /** The target's address. */
  get v4(): string {
    return this.lab.target.v4;
  }

  async #inTarget(argv: string[], timeoutMs = 120_000) {
    return await run(["ip", "netns", "exec", this.lab.target.ns, ...argv], { timeoutMs });
  }

  async #start(daemons: Daemon[], timeoutMs: number, log: (s: string) => void): Promise<void> {
    const cert = `${this.dir}/cert.pem`;
    const key = `${this.dir}/key.pem`;
    const ssl = await run([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=real.lab",
      "-days",
      "30",
      "-keyout",
      key,
      "-out",
      cert,
    ]);
    if (ssl.code !== 0) throw new Error(`openssl: ${ssl.stderr.trim()}`);
    await Deno.chmod(key, 0o644);
    const deadline = Date.now() + timeoutMs;
    const pending: StartedDaemon[] = [];
    for (const d of daemons) {
      const pkgVersion = await installedVersion(d.pkg);
      if (pkgVersion === null) {
        this.failed.push({ name: d.name, why: `${d.pkg} is not installed` });
        continue;
      }
      if (d.after && !pending.some((p) => p.daemon.name === d.after)) {
        this.failed.push({ name: d.name, why: `needs ${d.after}, which did not start` });
        continue;
      }
      const c: DaemonContext = { dir: `${this.dir}/${d.name}`, v4: this.v4, cert, key };
      await Deno.mkdir(c.dir, { recursive: true, mode: 0o755 });
      try {
        for (const argv of (await d.setup?.(c)) ?? []) {
          const r = await this.#inTarget(argv);
          if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
        }
      } catch (e) {
        this.failed.push({ name: d.name, why: `set-up: ${(e as Error).message.slice(0, 300)}` });
        continue;
      }
      const argv = d.argv(c);
      let pid = 0;
      if (argv.length) {
        const child = new Deno.Command("sh", {
          args: [
            "-c",
            // A session of its own: a daemon that signals its process group on shutdown
            // (Kamailio does) must not reach us. setsid does not fork here (sh is no group
            // leader), so the pid stays the daemon's.
            'exec setsid ip netns exec "$0" "$@" >"$LOGFILE" 2>&1',
            this.lab.target.ns,
            ...argv,
          ],
          env: { LOGFILE: `${c.dir}/log` },
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        pid = child.pid;
        this.#children.set(pid, child);
      }
      pending.push({ daemon: d, pid, pkgVersion, version: upstreamVersion(pkgVersion) });
      log(`started ${d.name}${pid ? ` (pid ${pid})` : ""}`);
    }
    // Wait until every port listens, or the deadline.
    let listening = new Set<string>();
    const missing = (s: StartedDaemon) =>
      s.daemon.ports.filter((p) => !listening.has(`${p.proto}/${p.port}`));
    for (;;) {
      listening = await this.#listening();
      const waiting = pending.filter((s) => missing(s).length > 0 && this.#alive(s.pid));
      if (waiting.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const s of pending) {
      const m = missing(s);
      if (m.length === 0) {
        this.started.push(s);
        continue;
      }
      const tail = await Deno.readTextFile(`${this.dir}/${s.daemon.name}/log`).catch(() => "");
      this.failed.push({
        name: s.daemon.name,
        why: `not listening on ${m.map((p) => `${p.proto}/${p.port}`).join(",")}: ${
          tail.trim().split("\n").slice(-3).join(" / ").slice(0, 400)
        }`,
      });
      await this.#stop(s.pid);
    }
  }

  #alive(pid: number): boolean {
    if (pid === 0) return true;
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }

  /** "tcp/22", "udp/53"… that listen in the target now. */
  async #listening(): Promise<Set<string>> {
    const r = await this.#inTarget(["ss", "-Hlntu"], 10_000);
    const out = new Set<string>();
    for (const line of r.stdout.split("\n")) {
      const f = line.trim().split(/\s+/);
      const m = /:(\d+)$/.exec(f[4] ?? "");
      if (f[0] && m) out.add(`${f[0]}/${m[1]}`);
    }
    return out;
  }

  async #stop(pid: number): Promise<void> {
    const child = this.#children.get(pid);
    if (!child) return;
    this.#children.delete(pid);
    await stopDaemon(child);
  }

  /** Every port of the daemons that came up, with its ground truth. */
  ports(): { daemon: StartedDaemon; port: DaemonPort }[] {
    return this.started.flatMap((s) => s.daemon.ports.map((port) => ({ daemon: s, port })));
  }

  /** Stops the daemons by pid, removes the lab and the temporary directory. Idempotent. */
  async down(): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    await Promise.all([...this.#children.keys()].map((pid) => this.#stop(pid)));
    await this.lab.down(); // whatever the daemons forked dies with the namespaces
    await removeDir(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}
