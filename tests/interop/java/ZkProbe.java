// ZkProbe: drives the real Apache ZooKeeper Java client (org.apache.zookeeper.ZooKeeper, from
// Debian's zookeeper 3.8 jars) through a small script, and prints one normalized JSON line per
// command. The same script run against Apache ZooKeeper and against zkd must print the same
// normalized lines; that is how tests/interop compares the two servers.
//
// Usage: java -cp build:<zookeeper jars> ZkProbe <connectString> [scriptFile]   (else stdin)
//
// Script: one command per line; blank lines and lines starting with # are ignored. Tokens are
// separated by spaces; "double quoted" tokens may contain spaces and the escapes \" \\ \n \t
// and \\uXXXX. A token key=value is an option when key is one of the known option names.
// Data tokens: @null (null data), @empty (zero bytes), @bytes:N (N bytes of a fixed pattern),
// anything else is the token's UTF-8 bytes.
// ACL tokens (acl=...): open | creator | read | empty | comma-separated scheme:id:perms, where
// perms are letters from "cdrwa" (id may itself contain ':', e.g. digest:bob:HASH:cdrwa).
//
// Commands (the current connection is the last one opened or selected with `use`):
//   conn NAME [timeoutMs=N] [proxy] [session=OTHER] [passwd=bad]   open a session and wait for it
//   use NAME | close [NAME] | session | state | waitstate STATE [timeoutMs=N] | sleep MS | echo ..
//   create PATH [DATA] [mode=M] [acl=A] [ttl=MS]    4-arg create (TTL modes use the ttl overload)
//   create2 PATH [DATA] [mode=M] [acl=A] [ttl=MS]   create with a Stat out-parameter (opcode 15)
//   delete PATH [version=V] | set PATH DATA [version=V] | exists PATH [watch|watch=W]
//   get PATH [watch|watch=W] | ls PATH [watch|watch=W] | ls2 PATH [watch|watch=W]
//   getacl PATH | setacl PATH ACL [version=V] | count PATH | ephemerals [PREFIX] | sync PATH
//   multi OP | OP | ...   (OP: create PATH [DATA] [mode=] [acl=] [ttl=], delete PATH [version=],
//                          set PATH DATA [version=], check PATH version=V)
//   multiread OP | OP ... (OP: get PATH | ls PATH)
//   addauth SCHEME AUTH | whoami
//   addwatch PATH persistent|recursive [watch=W]
//   removewatches PATH children|data|any [watch=W] [local]    (Java sends checkWatches, 17)
//   removeallwatches PATH children|data|any [local]            (Java sends removeWatches, 18)
//   events [wait=N] [timeoutMs=T] [settleMs=S] [sort]   print and clear the events received
//   proxy block|unblock|drop   control the TCP proxy that `conn NAME proxy` connects through
//   raw create|create2|createttl|delete|exists|get|set|check|ls|setacl|addwatch|checkwatches|
//       removewatches ...   send one request with the client's own wire code, skipping its
//       local path validation (so server-side validation can be tested)
//   getconfig [watch|watch=W]   ZooKeeper.getConfig: /zookeeper/config's data and Stat
//   reconfig [add=SPEC,SPEC] [remove=ID,ID] [members=SPEC,SPEC] [from=V|last]
//       ZooKeeperAdmin.reconfigure(joining, leaving, newMembers, fromConfig, stat); an absent
//       list is null; from defaults to -1, `last` is the version of the last configuration
//       this probe saw (getconfig or reconfig); SPEC is server.N=host:port:port[:role][;[addr:]port]
//
// Normalization (so two servers can be compared): zxids become "z1", "z2", ... in order of first
// appearance in this run (0 stays 0; an epoch's first zxid, counter 0, which is never a txn's,
// becomes "e1", "e2", ... instead); non-zero times become "t"; ephemeralOwner and session ids
// become the name of the connection that owns the session (or "other"). Raw values are kept
// under "raw" in each line; the comparison drops them. Configuration data (getconfig, reconfig)
// is printed as a list of lines: `version=<hex>` becomes `version=` plus the version's zxid
// name (config versions are zxids), and in each server.N line the ports become <qN>, <eN> and
// <cN> (ports differ between runs; hosts, roles and the shape of the line are kept).

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.*;
import java.util.concurrent.*;
import org.apache.jute.Record;
import org.apache.zookeeper.*;
import org.apache.zookeeper.data.*;
import org.apache.zookeeper.proto.*;

public class ZkProbe {
  // ---- option names: a token "k=v" (or bare "k") with k in this set is an option ----
  static final Set<String> OPTION_KEYS = new HashSet<>(Arrays.asList(
      "timeoutMs", "proxy", "session", "passwd", "mode", "acl", "ttl", "version", "watch",
      "wait", "settleMs", "sort", "local", "flags", "opcode", "type", "add", "remove", "members",
      "from"));

  final String connectString;
  final Map<String, Conn> conns = new LinkedHashMap<>();
  Conn current;
  final Map<Long, String> zxidNames = new HashMap<>();
  final Map<Long, String> epochNames = new HashMap<>();
  final Map<Long, String> sessionNames = new HashMap<>();
  /** The version of the last configuration a getconfig or reconfig returned (for from=last). */
  long lastConfigVersion = -1;
  final Object eventLock = new Object();
  int eventSeq = 0;
  Proxy proxy;
  final PrintStream out;

  ZkProbe(String connectString, PrintStream out) {
    this.connectString = connectString;
    this.out = out;
  }

  // ------------------------------------------------------------------------------------------
  // Connections and events

  static final class Ev {
    final int seq;
    final String conn;
    final String watcher;
    final WatchedEvent e;

    Ev(int seq, String conn, String watcher, WatchedEvent e) {
      this.seq = seq;
      this.conn = conn;
      this.watcher = watcher;
      this.e = e;
    }
  }

  final List<Ev> events = new ArrayList<>();

  /** A Watcher that records into the shared event list, tagged with its connection and name. */
  final class Recorder implements Watcher {
    final String conn;
    final String name;

    Recorder(String conn, String name) {
      this.conn = conn;
      this.name = name;
    }

    @Override
    public void process(WatchedEvent e) {
      synchronized (eventLock) {
        events.add(new Ev(eventSeq++, conn, name, e));
        eventLock.notifyAll();
      }
    }
  }

  /** Both connection classes expose the client's ClientCnxn (for `raw`). */
  interface HasCnxn {
    ClientCnxn clientCnxn();
  }

  // A ZooKeeperAdmin is a ZooKeeper with the reconfigure methods, so a new session can both read
  // and reconfigure. ZooKeeperAdmin has no constructor that resumes a session, so a resumed one
  // (`conn NAME session=OTHER`) is a plain ZooKeeper and cannot reconfig.
  static final class ProbeZooKeeper extends org.apache.zookeeper.admin.ZooKeeperAdmin
      implements HasCnxn {
    ProbeZooKeeper(String cs, int timeoutMs, Watcher w) throws IOException {
      super(cs, timeoutMs, w);
    }

    @Override
    public ClientCnxn clientCnxn() {
      return cnxn;
    }
  }

  static final class ResumedZooKeeper extends ZooKeeper implements HasCnxn {
    ResumedZooKeeper(String cs, int timeoutMs, Watcher w, long sid, byte[] pw) throws IOException {
      super(cs, timeoutMs, w, sid, pw);
    }

    @Override
    public ClientCnxn clientCnxn() {
      return cnxn;
    }
  }

  final class Conn {
    final String name;
    final ZooKeeper zk;
    final Recorder defaultWatcher;
    final Map<String, Recorder> named = new HashMap<>();

    Conn(String name, ZooKeeper zk, Recorder defaultWatcher) {
      this.name = name;
      this.zk = zk;
      this.defaultWatcher = defaultWatcher;
    }

    Recorder watcher(String wname) {
      return named.computeIfAbsent(wname, n -> new Recorder(name, n));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Normalization

  Object zxid(long z) {
    if (z == 0) return 0L;
    // A zxid whose counter is 0 starts an epoch and is never a txn's: ZooKeeper versions the
    // configuration no reconfig wrote with its first leader's epoch (the NEWLEADER zxid). Named
    // apart, so that it does not shift the names of the txn zxids.
    if ((z & 0xffffffffL) == 0) {
      return epochNames.computeIfAbsent(z, k -> "e" + (epochNames.size() + 1));
    }
    return zxidNames.computeIfAbsent(z, k -> "z" + (zxidNames.size() + 1));
  }

  Object owner(long sid) {
    if (sid == 0) return 0L;
    String n = sessionNames.get(sid);
    return n != null ? n : "other";
  }

  Map<String, Object> stat(Stat s) {
    if (s == null) return null;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("czxid", zxid(s.getCzxid()));
    m.put("mzxid", zxid(s.getMzxid()));
    m.put("ctime", s.getCtime() == 0 ? (Object) 0L : "t");
    m.put("mtime", s.getMtime() == 0 ? (Object) 0L : "t");
    m.put("version", s.getVersion());
    m.put("cversion", s.getCversion());
    m.put("aversion", s.getAversion());
    m.put("ephemeralOwner", owner(s.getEphemeralOwner()));
    m.put("dataLength", s.getDataLength());
    m.put("numChildren", s.getNumChildren());
    m.put("pzxid", zxid(s.getPzxid()));
    return m;
  }

  static List<Object> rawStat(Stat s) {
    if (s == null) return null;
    return Arrays.asList(hex(s.getCzxid()), hex(s.getMzxid()), s.getCtime(), s.getMtime(),
        s.getVersion(), s.getCversion(), s.getAversion(), hex(s.getEphemeralOwner()),
        s.getDataLength(), s.getNumChildren(), hex(s.getPzxid()));
  }

  // KEY=host:quorumPort:electionPort[:role][;[clientHost:]clientPort], KEY normally server.N
  static final java.util.regex.Pattern SERVER_LINE = java.util.regex.Pattern.compile(
      "^([^=]*?)(\\s*=+\\s*)(.*?):(\\d+):(\\d+)((?::[a-z]+)?)(?:;(?:(.*):)?(\\d+))?$");

  /** Configuration text as comparable lines (see the header: versions as zxids, no ports). */
  List<String> configLines(byte[] d) {
    if (d == null) return null;
    List<String> out = new ArrayList<>();
    for (String l : new String(d, StandardCharsets.UTF_8).split("\n", -1)) {
      if (l.startsWith("version=")) {
        try {
          out.add("version=" + zxid(Long.parseLong(l.substring(8), 16)));
        } catch (NumberFormatException e) {
          out.add(l);
        }
        continue;
      }
      out.add(serverLine(l));
    }
    return out;
  }

  /**
   * A server.N=... line with its ports replaced by <qN>, <eN>, <cN> (N: what follows the key's
   * last '.', as ZooKeeper reads a joiner's id); other text as it is.
   */
  static String serverLine(String l) {
    java.util.regex.Matcher mt = SERVER_LINE.matcher(l);
    if (!mt.matches()) return l;
    String key = mt.group(1);
    String n = key.substring(key.lastIndexOf('.') + 1).trim();
    StringBuilder sb = new StringBuilder();
    sb.append(key).append(mt.group(2)).append(mt.group(3)).append(":<q").append(n)
        .append(">:<e").append(n).append('>').append(mt.group(6));
    if (mt.group(8) != null) {
      sb.append(';');
      if (mt.group(7) != null) sb.append(mt.group(7)).append(':');
      sb.append("<c").append(n).append('>');
    }
    return sb.toString();
  }

  /** A comma-separated list of server specs, each normalized as serverLine does. */
  static List<String> specs(String list) {
    List<String> out = new ArrayList<>();
    for (String x : list.split(",", -1)) out.add(serverLine(x));
    return out;
  }

  /** Remembers the version of configuration text (for from=last). */
  void sawConfig(byte[] d) {
    if (d == null) return;
    for (String l : new String(d, StandardCharsets.UTF_8).split("\n")) {
      if (l.startsWith("version=")) {
        try {
          lastConfigVersion = Long.parseLong(l.substring(8), 16);
        } catch (NumberFormatException e) {
          // not a version we can use
        }
      }
    }
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  static Object data(byte[] d) {
    if (d == null) return null;
    boolean printable = d.length <= 200;
    if (printable) {
      for (byte b : d) {
        if (b < 0x20 || b == 0x7f) {
          printable = false;
          break;
        }
      }
    }
    if (printable) return new String(d, StandardCharsets.UTF_8);
    return "<" + d.length + " bytes sha1:" + sha1(d).substring(0, 16) + ">";
  }

  static String sha1(byte[] d) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-1").digest(d);
      StringBuilder sb = new StringBuilder();
      for (byte b : h) sb.append(String.format("%02x", b));
      return sb.toString();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  static String perms(int p) {
    StringBuilder sb = new StringBuilder();
    if ((p & ZooDefs.Perms.CREATE) != 0) sb.append('c');
    if ((p & ZooDefs.Perms.DELETE) != 0) sb.append('d');
    if ((p & ZooDefs.Perms.READ) != 0) sb.append('r');
    if ((p & ZooDefs.Perms.WRITE) != 0) sb.append('w');
    if ((p & ZooDefs.Perms.ADMIN) != 0) sb.append('a');
    int known = ZooDefs.Perms.ALL;
    if ((p & ~known) != 0) sb.append("+").append(p & ~known);
    return sb.toString();
  }

  static List<String> acl(List<ACL> acls) {
    if (acls == null) return null;
    List<String> r = new ArrayList<>();
    for (ACL a : acls) r.add(a.getId().getScheme() + ":" + a.getId().getId() + ":" + perms(a.getPerms()));
    return r;
  }

  static List<String> sorted(List<String> l) {
    if (l == null) return null;
    List<String> r = new ArrayList<>(l);
    Collections.sort(r);
    return r;
  }

  // ------------------------------------------------------------------------------------------
  // Parsing helpers

  static List<String> tokenize(String line) {
    List<String> toks = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
        continue;
      }
      StringBuilder sb = new StringBuilder();
      if (c == '"') {
        i++;
        while (i < n && line.charAt(i) != '"') {
          char d = line.charAt(i++);
          if (d == '\\' && i < n) {
            char e = line.charAt(i++);
            switch (e) {
              case 'n': sb.append('\n'); break;
              case 't': sb.append('\t'); break;
              case 'u': sb.append((char) Integer.parseInt(line.substring(i, i + 4), 16)); i += 4; break;
              default: sb.append(e);
            }
          } else {
            sb.append(d);
          }
        }
        if (i >= n) throw new IllegalStateException("unterminated quote in: " + line);
        i++; // closing quote
        toks.add(sb.toString());
      } else {
        while (i < n && line.charAt(i) != ' ' && line.charAt(i) != '\t') sb.append(line.charAt(i++));
        toks.add(sb.toString());
      }
    }
    return toks;
  }

  static final class Args {
    final List<String> pos = new ArrayList<>();
    final Map<String, String> opt = new HashMap<>();

    Args(List<String> toks) {
      for (String t : toks) {
        int eq = t.indexOf('=');
        String k = eq > 0 ? t.substring(0, eq) : t;
        if (OPTION_KEYS.contains(k) && !t.startsWith("/")) {
          opt.put(k, eq > 0 ? t.substring(eq + 1) : "");
        } else {
          pos.add(t);
        }
      }
    }

    String pos(int i) {
      if (i >= pos.size()) throw new IllegalStateException("missing argument " + (i + 1));
      return pos.get(i);
    }

    String pos(int i, String dflt) {
      return i < pos.size() ? pos.get(i) : dflt;
    }

    int intOpt(String k, int dflt) {
      return opt.containsKey(k) ? Integer.parseInt(opt.get(k)) : dflt;
    }

    boolean has(String k) {
      return opt.containsKey(k);
    }
  }

  static byte[] parseData(String t) {
    if (t == null || t.equals("@null")) return null;
    if (t.equals("@empty")) return new byte[0];
    if (t.startsWith("@bytes:")) {
      int n = Integer.parseInt(t.substring(7));
      byte[] b = new byte[n];
      for (int i = 0; i < n; i++) b[i] = (byte) ('a' + (i % 26));
      return b;
    }
    return t.getBytes(StandardCharsets.UTF_8);
  }

  static int parsePerms(String p) {
    int r = 0;
    for (char c : p.toCharArray()) {
      switch (c) {
        case 'c': r |= ZooDefs.Perms.CREATE; break;
        case 'd': r |= ZooDefs.Perms.DELETE; break;
        case 'r': r |= ZooDefs.Perms.READ; break;
        case 'w': r |= ZooDefs.Perms.WRITE; break;
        case 'a': r |= ZooDefs.Perms.ADMIN; break;
        default: throw new IllegalStateException("bad perms " + p);
      }
    }
    return r;
  }

  static List<ACL> parseAcl(String spec) {
    if (spec == null || spec.equals("open")) return ZooDefs.Ids.OPEN_ACL_UNSAFE;
    if (spec.equals("creator")) return ZooDefs.Ids.CREATOR_ALL_ACL;
    if (spec.equals("read")) return ZooDefs.Ids.READ_ACL_UNSAFE;
    if (spec.equals("empty")) return new ArrayList<>();
    List<ACL> r = new ArrayList<>();
    for (String part : spec.split(",")) {
      int first = part.indexOf(':');
      int last = part.lastIndexOf(':');
      if (first < 0 || last == first) throw new IllegalStateException("bad acl " + part);
      r.add(new ACL(parsePerms(part.substring(last + 1)),
          new Id(part.substring(0, first), part.substring(first + 1, last))));
    }
    return r;
  }

  static CreateMode parseMode(String m) {
    if (m == null) return CreateMode.PERSISTENT;
    switch (m) {
      case "persistent": return CreateMode.PERSISTENT;
      case "ephemeral": return CreateMode.EPHEMERAL;
      case "sequential":
      case "persistent_sequential": return CreateMode.PERSISTENT_SEQUENTIAL;
      case "ephemeral_sequential": return CreateMode.EPHEMERAL_SEQUENTIAL;
      case "container": return CreateMode.CONTAINER;
      case "ttl": return CreateMode.PERSISTENT_WITH_TTL;
      case "sequential_ttl": return CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
      default: throw new IllegalStateException("bad mode " + m);
    }
  }

  static Watcher.WatcherType parseWatcherType(String t) {
    switch (t) {
      case "children": return Watcher.WatcherType.Children;
      case "data": return Watcher.WatcherType.Data;
      case "any": return Watcher.WatcherType.Any;
      default: throw new IllegalStateException("bad watcher type " + t);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Output

  Map<String, Object> line(String cmd) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cmd", cmd);
    if (current != null && !cmd.equals("events")) m.put("conn", current.name);
    return m;
  }

  void emit(Map<String, Object> m) {
    out.println(Json.write(m));
    out.flush();
  }

  static String rcOf(Throwable t) {
    if (t instanceof KeeperException) return ((KeeperException) t).code().name();
    return "CLIENT_" + t.getClass().getSimpleName();
  }

  void putError(Map<String, Object> m, Throwable t) {
    m.put("rc", rcOf(t));
    if (!(t instanceof KeeperException)) m.put("message", String.valueOf(t.getMessage()));
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  Conn cur() {
    if (current == null) throw new IllegalStateException("no connection: use `conn NAME` first");
    return current;
  }

  Watcher watcherArg(Args a) {
    if (!a.has("watch")) return null;
    String w = a.opt.get("watch");
    return w.isEmpty() || w.equals("default") ? cur().defaultWatcher : cur().watcher(w);
  }

  void run(String rawLine) throws Exception {
    String lineText = rawLine.trim();
    if (lineText.isEmpty() || lineText.startsWith("#")) return;
    List<String> toks = tokenize(lineText);
    String cmd = toks.get(0);
    Args a = new Args(toks.subList(1, toks.size()));
    switch (cmd) {
      case "conn": cmdConn(a); return;
      case "use": {
        Conn c = conns.get(a.pos(0));
        if (c == null) throw new IllegalStateException("unknown connection " + a.pos(0));
        current = c;
        return;
      }
      case "close": {
        Conn c = a.pos.isEmpty() ? cur() : conns.get(a.pos(0));
        Map<String, Object> m = line("close");
        m.put("conn", c.name);
        c.zk.close();
        m.put("rc", "OK");
        emit(m);
        return;
      }
      case "session": {
        Map<String, Object> m = line("session");
        m.put("session", owner(cur().zk.getSessionId()));
        m.put("raw", Collections.singletonMap("sessionId", hex(cur().zk.getSessionId())));
        emit(m);
        return;
      }
      case "state": {
        Map<String, Object> m = line("state");
        m.put("state", cur().zk.getState().name());
        emit(m);
        return;
      }
      case "waitstate": {
        String want = a.pos(0);
        long deadline = System.currentTimeMillis() + a.intOpt("timeoutMs", 20000);
        while (!cur().zk.getState().name().equals(want) && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        Map<String, Object> m = line("waitstate");
        m.put("state", cur().zk.getState().name());
        m.put("rc", cur().zk.getState().name().equals(want) ? "OK" : "TIMEOUT");
        emit(m);
        return;
      }
      case "sleep": Thread.sleep(Long.parseLong(a.pos(0))); return;
      case "echo": {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("echo", String.join(" ", a.pos));
        emit(m);
        return;
      }
      case "events": cmdEvents(a); return;
      case "proxy": cmdProxy(a); return;
      case "raw": cmdRaw(toks.subList(1, toks.size())); return;
      default: break;
    }
    Map<String, Object> m = line(cmd);
    try {
      op(cmd, a, m, toks.subList(1, toks.size()));
    } catch (KeeperException | IllegalArgumentException e) {
      putError(m, e);
    }
    emit(m);
  }

  void op(String cmd, Args a, Map<String, Object> m, List<String> toks) throws Exception {
    ZooKeeper zk = cur().zk;
    switch (cmd) {
      case "create":
      case "create2": {
        String path = a.pos(0);
        m.put("path", path);
        byte[] d = parseData(a.pos(1, "@empty"));
        List<ACL> acl = parseAcl(a.opt.get("acl"));
        CreateMode mode = parseMode(a.opt.get("mode"));
        Stat st = new Stat();
        String res;
        if (a.has("ttl")) {
          res = zk.create(path, d, acl, mode, st, Long.parseLong(a.opt.get("ttl")));
        } else if (cmd.equals("create2")) {
          res = zk.create(path, d, acl, mode, st);
        } else {
          res = zk.create(path, d, acl, mode);
          st = null;
        }
        m.put("rc", "OK");
        m.put("result", res);
        if (cmd.equals("create2")) {
          m.put("stat", stat(st));
          m.put("raw", rawStat(st));
        }
        return;
      }
      case "delete": {
        m.put("path", a.pos(0));
        zk.delete(a.pos(0), a.intOpt("version", -1));
        m.put("rc", "OK");
        return;
      }
      case "exists": {
        m.put("path", a.pos(0));
        Watcher w = watcherArg(a);
        Stat st = w != null ? zk.exists(a.pos(0), w) : zk.exists(a.pos(0), false);
        m.put("rc", "OK");
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "get": {
        m.put("path", a.pos(0));
        Watcher w = watcherArg(a);
        Stat st = new Stat();
        byte[] d = w != null ? zk.getData(a.pos(0), w, st) : zk.getData(a.pos(0), false, st);
        m.put("rc", "OK");
        m.put("data", data(d));
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "set": {
        m.put("path", a.pos(0));
        Stat st = zk.setData(a.pos(0), parseData(a.pos(1)), a.intOpt("version", -1));
        m.put("rc", "OK");
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "getacl": {
        m.put("path", a.pos(0));
        Stat st = new Stat();
        List<ACL> acls = zk.getACL(a.pos(0), st);
        m.put("rc", "OK");
        m.put("acl", acl(acls));
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "setacl": {
        m.put("path", a.pos(0));
        Stat st = zk.setACL(a.pos(0), parseAcl(a.pos(1)), a.intOpt("version", -1));
        m.put("rc", "OK");
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "ls": {
        m.put("path", a.pos(0));
        Watcher w = watcherArg(a);
        List<String> ch = w != null ? zk.getChildren(a.pos(0), w) : zk.getChildren(a.pos(0), false);
        m.put("rc", "OK");
        m.put("children", sorted(ch));
        return;
      }
      case "ls2": {
        m.put("path", a.pos(0));
        Watcher w = watcherArg(a);
        Stat st = new Stat();
        List<String> ch = w != null ? zk.getChildren(a.pos(0), w, st) : zk.getChildren(a.pos(0), false, st);
        m.put("rc", "OK");
        m.put("children", sorted(ch));
        m.put("stat", stat(st));
        m.put("raw", rawStat(st));
        return;
      }
      case "count": {
        m.put("path", a.pos(0));
        int n = zk.getAllChildrenNumber(a.pos(0));
        m.put("rc", "OK");
        m.put("count", n);
        return;
      }
      case "ephemerals": {
        List<String> l = a.pos.isEmpty() ? zk.getEphemerals() : zk.getEphemerals(a.pos(0));
        if (!a.pos.isEmpty()) m.put("prefix", a.pos(0));
        m.put("rc", "OK");
        m.put("paths", sorted(l));
        return;
      }
      case "sync": {
        m.put("path", a.pos(0));
        CompletableFuture<Object[]> f = new CompletableFuture<>();
        zk.sync(a.pos(0), (rc, path, ctx) -> f.complete(new Object[] {rc, path}), null);
        Object[] r = f.get(30, TimeUnit.SECONDS);
        m.put("rc", KeeperException.Code.get((Integer) r[0]).name());
        m.put("result", r[1]);
        return;
      }
      case "multi":
      case "multiread": {
        // Options belong to the sub-ops here, so split the raw tokens, not the parsed Args.
        List<Op> ops = parseOps(toks);
        m.put("ops", ops.size());
        try {
          List<OpResult> res = zk.multi(ops);
          m.put("rc", "OK");
          m.put("results", results(res));
        } catch (KeeperException e) {
          m.put("rc", e.code().name());
          m.put("results", e.getResults() == null ? null : results(e.getResults()));
        }
        return;
      }
      case "addauth": {
        zk.addAuthInfo(a.pos(0), a.pos(1).getBytes(StandardCharsets.UTF_8));
        m.put("scheme", a.pos(0));
        m.put("rc", "OK");
        return;
      }
      case "whoami": {
        List<ClientInfo> infos = zk.whoAmI();
        List<Object> l = new ArrayList<>();
        if (infos != null) {
          for (ClientInfo ci : infos) l.add(ci.getAuthScheme() + ":" + ci.getUser());
        }
        m.put("rc", infos == null ? "NULL" : "OK");
        // Sorted: Apache ZooKeeper 3.8 returns the ids in no documented order (it is not
        // insertion order: a fresh digest login lists digest before ip).
        l.sort(Comparator.comparing(Object::toString));
        m.put("clientInfo", l);
        return;
      }
      case "addwatch": {
        m.put("path", a.pos(0));
        AddWatchMode mode = a.pos(1).equals("recursive")
            ? AddWatchMode.PERSISTENT_RECURSIVE
            : AddWatchMode.PERSISTENT;
        m.put("mode", a.pos(1));
        Watcher w = watcherArg(a);
        if (w != null) {
          zk.addWatch(a.pos(0), w, mode);
        } else {
          zk.addWatch(a.pos(0), mode);
        }
        m.put("rc", "OK");
        return;
      }
      case "removewatches": {
        m.put("path", a.pos(0));
        m.put("type", a.pos(1));
        Watcher w = watcherArg(a);
        if (w == null) w = cur().defaultWatcher;
        zk.removeWatches(a.pos(0), w, parseWatcherType(a.pos(1)), a.has("local"));
        m.put("rc", "OK");
        return;
      }
      case "getconfig": {
        Watcher w = watcherArg(a);
        Stat st = new Stat();
        byte[] d = w != null ? zk.getConfig(w, st) : zk.getConfig(false, st);
        sawConfig(d);
        m.put("rc", "OK");
        m.put("config", configLines(d));
        m.put("stat", stat(st));
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("config", d == null ? null : new String(d, StandardCharsets.UTF_8));
        raw.put("stat", rawStat(st));
        m.put("raw", raw);
        return;
      }
      case "reconfig": {
        String joining = a.opt.get("add");
        String leaving = a.opt.get("remove");
        String members = a.opt.get("members");
        String from = a.opt.getOrDefault("from", "-1");
        long fromConfig = from.equals("last") ? lastConfigVersion
            : from.startsWith("0x") ? Long.parseLong(from.substring(2), 16) : Long.parseLong(from);
        if (joining != null) m.put("add", specs(joining));
        if (leaving != null) m.put("remove", leaving);
        if (members != null) m.put("members", specs(members));
        m.put("from", from);
        Stat st = new Stat();
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("fromConfig", hex(fromConfig));
        m.put("raw", raw);
        if (!(zk instanceof ProbeZooKeeper)) {
          throw new IllegalStateException("reconfig needs a connection opened without session=");
        }
        byte[] d = ((ProbeZooKeeper) zk).reconfigure(joining, leaving, members, fromConfig, st);
        sawConfig(d);
        m.put("rc", "OK");
        m.put("config", configLines(d));
        m.put("stat", stat(st));
        raw.put("config", d == null ? null : new String(d, StandardCharsets.UTF_8));
        raw.put("stat", rawStat(st));
        return;
      }
      case "removeallwatches": {
        m.put("path", a.pos(0));
        m.put("type", a.pos(1));
        zk.removeAllWatches(a.pos(0), parseWatcherType(a.pos(1)), a.has("local"));
        m.put("rc", "OK");
        return;
      }
      default:
        throw new IllegalStateException("unknown command: " + cmd);
    }
  }

  List<Op> parseOps(List<String> toks) {
    List<Op> ops = new ArrayList<>();
    List<List<String>> groups = new ArrayList<>();
    List<String> g = new ArrayList<>();
    for (String t : toks) {
      if (t.equals("|")) {
        groups.add(g);
        g = new ArrayList<>();
      } else {
        g.add(t);
      }
    }
    if (!g.isEmpty()) groups.add(g);
    for (List<String> grp : groups) {
      String kind = grp.get(0);
      Args a = new Args(grp.subList(1, grp.size()));
      switch (kind) {
        case "create":
          if (a.has("ttl")) {
            ops.add(Op.create(a.pos(0), parseData(a.pos(1, "@empty")), parseAcl(a.opt.get("acl")),
                parseMode(a.opt.get("mode")), Long.parseLong(a.opt.get("ttl"))));
          } else {
            ops.add(Op.create(a.pos(0), parseData(a.pos(1, "@empty")), parseAcl(a.opt.get("acl")),
                parseMode(a.opt.get("mode"))));
          }
          break;
        case "delete": ops.add(Op.delete(a.pos(0), a.intOpt("version", -1))); break;
        case "set": ops.add(Op.setData(a.pos(0), parseData(a.pos(1)), a.intOpt("version", -1))); break;
        case "check": ops.add(Op.check(a.pos(0), a.intOpt("version", -1))); break;
        case "get": ops.add(Op.getData(a.pos(0))); break;
        case "ls": ops.add(Op.getChildren(a.pos(0))); break;
        default: throw new IllegalStateException("unknown multi op " + kind);
      }
    }
    return ops;
  }

  List<Object> results(List<OpResult> res) {
    List<Object> l = new ArrayList<>();
    for (OpResult r : res) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("opType", r.getType());
      if (r instanceof OpResult.CreateResult) {
        OpResult.CreateResult c = (OpResult.CreateResult) r;
        m.put("type", "create");
        m.put("path", c.getPath());
        if (c.getStat() != null) m.put("stat", stat(c.getStat()));
      } else if (r instanceof OpResult.DeleteResult) {
        m.put("type", "delete");
      } else if (r instanceof OpResult.SetDataResult) {
        m.put("type", "set");
        m.put("stat", stat(((OpResult.SetDataResult) r).getStat()));
      } else if (r instanceof OpResult.CheckResult) {
        m.put("type", "check");
      } else if (r instanceof OpResult.ErrorResult) {
        m.put("type", "error");
        m.put("err", KeeperException.Code.get(((OpResult.ErrorResult) r).getErr()).name());
      } else if (r instanceof OpResult.GetDataResult) {
        OpResult.GetDataResult g = (OpResult.GetDataResult) r;
        m.put("type", "get");
        m.put("data", data(g.getData()));
        m.put("stat", stat(g.getStat()));
      } else if (r instanceof OpResult.GetChildrenResult) {
        m.put("type", "ls");
        m.put("children", sorted(((OpResult.GetChildrenResult) r).getChildren()));
      } else {
        m.put("type", r.getClass().getSimpleName());
      }
      l.add(m);
    }
    return l;
  }

  void cmdConn(Args a) throws Exception {
    String name = a.pos(0);
    int timeoutMs = a.intOpt("timeoutMs", 10000);
    String cs = connectString;
    if (a.has("proxy")) {
      if (proxy == null) proxy = new Proxy(connectString);
      cs = "127.0.0.1:" + proxy.port();
    }
    Recorder dw = new Recorder(name, "default");
    ZooKeeper zk;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cmd", "conn");
    m.put("conn", name);
    if (a.has("session")) {
      Conn other = conns.get(a.opt.get("session"));
      if (other == null) throw new IllegalStateException("unknown connection " + a.opt.get("session"));
      byte[] pw = other.zk.getSessionPasswd().clone();
      if (a.has("passwd")) pw[0] ^= 0x5a; // a wrong password of the right length
      zk = new ResumedZooKeeper(cs, timeoutMs, dw, other.zk.getSessionId(), pw);
      m.put("resume", other.name);
    } else {
      zk = new ProbeZooKeeper(cs, timeoutMs, dw);
    }
    Conn c = new Conn(name, zk, dw);
    conns.put(name, c);
    current = c;
    // Wait for the first state event of this connection: SyncConnected, Expired or AuthFailed.
    long deadline = System.currentTimeMillis() + 15000;
    String state = null;
    synchronized (eventLock) {
      while (state == null && System.currentTimeMillis() < deadline) {
        for (Iterator<Ev> it = events.iterator(); it.hasNext(); ) {
          Ev ev = it.next();
          if (ev.conn.equals(name) && ev.e.getType() == Watcher.Event.EventType.None
              && ev.e.getState() != Watcher.Event.KeeperState.Disconnected) {
            state = ev.e.getState().name();
            it.remove(); // the connect event is reported here, not by `events`
            break;
          }
        }
        if (state == null) eventLock.wait(50);
      }
    }
    if (state == null) {
      m.put("rc", "TIMEOUT");
    } else if (state.equals("SyncConnected")) {
      m.put("rc", "OK");
      sessionNames.putIfAbsent(zk.getSessionId(), name);
      m.put("timeoutMs", zk.getSessionTimeout());
    } else if (state.equals("Expired")) {
      m.put("rc", "SESSIONEXPIRED");
    } else {
      m.put("rc", state);
    }
    m.put("raw", Collections.singletonMap("sessionId", hex(zk.getSessionId())));
    emit(m);
  }

  void cmdEvents(Args a) throws Exception {
    int want = a.intOpt("wait", 0);
    long deadline = System.currentTimeMillis() + a.intOpt("timeoutMs", 10000);
    int settleMs = a.intOpt("settleMs", 250);
    List<Ev> got;
    synchronized (eventLock) {
      while (events.size() < want && System.currentTimeMillis() < deadline) {
        eventLock.wait(20);
      }
    }
    // Give stragglers (e.g. an unexpected extra event) a moment to arrive, so that they are
    // reported here rather than by a later `events`.
    Thread.sleep(settleMs);
    synchronized (eventLock) {
      got = new ArrayList<>(events);
      events.clear();
    }
    // Events from different connections race each other; within one connection the order is
    // the server's (and the client's event thread's) order. Print per connection, in name order.
    got.sort(Comparator.comparing((Ev e) -> e.conn).thenComparingInt(e -> e.seq));
    // The client hands one WatchedEvent to every watcher registered for it, iterating a HashSet
    // of watcher objects (identity-hash order, different on every run). Sort each such group,
    // recognized by the shared event object, by watcher name.
    for (int i = 0; i < got.size(); ) {
      int j = i + 1;
      while (j < got.size() && got.get(j).e == got.get(i).e && got.get(j).conn.equals(got.get(i).conn)) j++;
      got.subList(i, j).sort(Comparator.comparing((Ev e) -> e.watcher));
      i = j;
    }
    List<Map<String, Object>> lines = new ArrayList<>();
    Map<String, Object> prevState = null;
    for (Ev ev : got) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("event", ev.e.getType().name());
      if (ev.e.getType() == Watcher.Event.EventType.None) {
        m.put("state", ev.e.getState().name());
      } else {
        m.put("path", ev.e.getPath());
      }
      m.put("conn", ev.conn);
      m.put("watcher", ev.watcher);
      // A client that keeps failing to reconnect reports Disconnected once per attempt; the
      // number of attempts depends on timing, so repeated identical state events are collapsed.
      if (ev.e.getType() == Watcher.Event.EventType.None && m.equals(prevState)) continue;
      prevState = ev.e.getType() == Watcher.Event.EventType.None ? m : null;
      lines.add(m);
    }
    if (a.has("sort")) {
      lines.sort(Comparator.comparing((Map<String, Object> x) -> Json.write(x)));
    }
    for (Map<String, Object> m : lines) emit(m);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cmd", "events");
    m.put("count", lines.size());
    emit(m);
  }

  void cmdProxy(Args a) throws Exception {
    if (proxy == null) proxy = new Proxy(connectString);
    String action = a.pos(0);
    switch (action) {
      case "block": proxy.block(); break;
      case "unblock": proxy.unblock(); break;
      case "drop": proxy.dropAll(); break;
      default: throw new IllegalStateException("bad proxy action " + action);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cmd", "proxy");
    m.put("action", action);
    emit(m);
  }

  // ------------------------------------------------------------------------------------------
  // Raw requests: the client's own wire code (ClientCnxn.submitRequest), without the local path
  // validation that ZooKeeper's public methods do first.

  void cmdRaw(List<String> toks) throws Exception {
    String kind = toks.get(0);
    Args a = new Args(toks.subList(1, toks.size()));
    ClientCnxn cnxn = ((HasCnxn) cur().zk).clientCnxn();
    Map<String, Object> m = line("raw " + kind);
    RequestHeader h = new RequestHeader();
    Record req;
    Record resp = null;
    String path = a.pos(0);
    m.put("path", path);
    switch (kind) {
      case "create":
      case "create2":
      case "createcontainer": {
        int op = kind.equals("create") ? ZooDefs.OpCode.create
            : kind.equals("create2") ? ZooDefs.OpCode.create2 : ZooDefs.OpCode.createContainer;
        h.setType(a.has("opcode") ? a.intOpt("opcode", op) : op);
        req = new CreateRequest(path, parseData(a.pos(1, "@empty")), parseAcl(a.opt.get("acl")),
            a.intOpt("flags", kind.equals("createcontainer") ? 4 : 0));
        resp = h.getType() == ZooDefs.OpCode.create ? new CreateResponse() : new Create2Response();
        break;
      }
      case "createttl": {
        h.setType(ZooDefs.OpCode.createTTL);
        req = new CreateTTLRequest(path, parseData(a.pos(1, "@empty")), parseAcl(a.opt.get("acl")),
            a.intOpt("flags", 5), Long.parseLong(a.opt.getOrDefault("ttl", "1000")));
        resp = new Create2Response();
        break;
      }
      case "delete":
        h.setType(ZooDefs.OpCode.delete);
        req = new DeleteRequest(path, a.intOpt("version", -1));
        break;
      case "exists":
        h.setType(ZooDefs.OpCode.exists);
        req = new ExistsRequest(path, false);
        resp = new SetDataResponse();
        break;
      case "get":
        h.setType(ZooDefs.OpCode.getData);
        req = new GetDataRequest(path, false);
        resp = new GetDataResponse();
        break;
      case "ls":
        h.setType(ZooDefs.OpCode.getChildren2);
        req = new GetChildren2Request(path, false);
        resp = new GetChildren2Response();
        break;
      case "set":
        h.setType(ZooDefs.OpCode.setData);
        req = new SetDataRequest(path, parseData(a.pos(1)), a.intOpt("version", -1));
        resp = new SetDataResponse();
        break;
      case "setacl":
        h.setType(ZooDefs.OpCode.setACL);
        req = new SetACLRequest(path, parseAcl(a.pos(1)), a.intOpt("version", -1));
        resp = new SetACLResponse();
        break;
      case "check":
        h.setType(ZooDefs.OpCode.check);
        req = new CheckVersionRequest(path, a.intOpt("version", -1));
        break;
      case "addwatch":
        h.setType(ZooDefs.OpCode.addWatch);
        req = new AddWatchRequest(path, a.intOpt("mode", 0));
        resp = new ErrorResponse();
        break;
      case "checkwatches":
        h.setType(ZooDefs.OpCode.checkWatches);
        req = new CheckWatchesRequest(path, a.intOpt("type", 3));
        break;
      case "removewatches":
        h.setType(ZooDefs.OpCode.removeWatches);
        req = new RemoveWatchesRequest(path, a.intOpt("type", 3));
        break;
      default:
        throw new IllegalStateException("unknown raw request " + kind);
    }
    ReplyHeader r = cnxn.submitRequest(h, req, resp, null);
    m.put("rc", KeeperException.Code.get(r.getErr()).name());
    if (r.getErr() == 0 && resp != null) {
      if (resp instanceof CreateResponse) m.put("result", ((CreateResponse) resp).getPath());
      if (resp instanceof Create2Response) {
        m.put("result", ((Create2Response) resp).getPath());
        m.put("stat", stat(((Create2Response) resp).getStat()));
      }
      if (resp instanceof SetDataResponse) m.put("stat", stat(((SetDataResponse) resp).getStat()));
      if (resp instanceof SetACLResponse) m.put("stat", stat(((SetACLResponse) resp).getStat()));
      if (resp instanceof GetDataResponse) {
        m.put("data", data(((GetDataResponse) resp).getData()));
        m.put("stat", stat(((GetDataResponse) resp).getStat()));
      }
      if (resp instanceof GetChildren2Response) {
        m.put("children", sorted(((GetChildren2Response) resp).getChildren()));
      }
    }
    emit(m);
  }

  // ------------------------------------------------------------------------------------------
  // A TCP proxy in front of the server, so a test can cut a client off without the client
  // noticing anything but a dead network (no closeSession is sent): `block` closes every proxied
  // connection and refuses new ones (accept, then close), `unblock` lets them through again,
  // `drop` closes the current ones but lets the client reconnect at once.

  static final class Proxy {
    final ServerSocket ss;
    final String host;
    final int targetPort;
    volatile boolean blocked = false;
    final List<Socket> active = Collections.synchronizedList(new ArrayList<>());

    Proxy(String connectString) throws IOException {
      String first = connectString.split(",")[0];
      int colon = first.lastIndexOf(':');
      host = first.substring(0, colon);
      targetPort = Integer.parseInt(first.substring(colon + 1));
      ss = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread t = new Thread(this::acceptLoop, "proxy-accept");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return ss.getLocalPort();
    }

    void acceptLoop() {
      while (true) {
        try {
          Socket c = ss.accept();
          if (blocked) {
            c.close();
            continue;
          }
          Socket s = new Socket(host, targetPort);
          c.setTcpNoDelay(true);
          s.setTcpNoDelay(true);
          active.add(c);
          active.add(s);
          pump(c, s);
          pump(s, c);
        } catch (IOException e) {
          // keep accepting
        }
      }
    }

    void pump(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[65536];
        try {
          InputStream in = from.getInputStream();
          OutputStream o = to.getOutputStream();
          int n;
          while ((n = in.read(buf)) > 0) {
            o.write(buf, 0, n);
            o.flush();
          }
        } catch (IOException e) {
          // connection closed
        } finally {
          closeQuietly(from);
          closeQuietly(to);
        }
      }, "proxy-pump");
      t.setDaemon(true);
      t.start();
    }

    static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException e) {
        // ignore
      }
    }

    void dropAll() {
      synchronized (active) {
        for (Socket s : active) closeQuietly(s);
        active.clear();
      }
    }

    void block() {
      blocked = true;
      dropAll();
    }

    void unblock() {
      blocked = false;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Minimal JSON writer (maps keep insertion order; this must be byte-for-byte deterministic).

  static final class Json {
    static String write(Object o) {
      StringBuilder sb = new StringBuilder();
      write(sb, o);
      return sb.toString();
    }

    @SuppressWarnings("unchecked")
    static void write(StringBuilder sb, Object o) {
      if (o == null) {
        sb.append("null");
      } else if (o instanceof String) {
        str(sb, (String) o);
      } else if (o instanceof Number || o instanceof Boolean) {
        sb.append(o);
      } else if (o instanceof Map) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : ((Map<String, Object>) o).entrySet()) {
          if (!first) sb.append(',');
          first = false;
          str(sb, e.getKey());
          sb.append(':');
          write(sb, e.getValue());
        }
        sb.append('}');
      } else if (o instanceof Collection) {
        sb.append('[');
        boolean first = true;
        for (Object x : (Collection<Object>) o) {
          if (!first) sb.append(',');
          first = false;
          write(sb, x);
        }
        sb.append(']');
      } else {
        str(sb, String.valueOf(o));
      }
    }

    static void str(StringBuilder sb, String s) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"': sb.append("\\\""); break;
          case '\\': sb.append("\\\\"); break;
          case '\n': sb.append("\\n"); break;
          case '\r': sb.append("\\r"); break;
          case '\t': sb.append("\\t"); break;
          default:
            if (c < 0x20 || c > 0x7e) {
              sb.append(String.format("\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
        }
      }
      sb.append('"');
    }
  }

  // ------------------------------------------------------------------------------------------

  public static void main(String[] argv) throws Exception {
    if (argv.length < 1) {
      System.err.println("usage: ZkProbe <connectString> [scriptFile]");
      System.exit(2);
    }
    // A hard limit on the whole run, so a server that never answers cannot hang a test.
    long maxRunMs = Long.parseLong(System.getProperty("zkprobe.maxRunMs", "120000"));
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(maxRunMs);
        System.out.println("{\"fatal\":\"probe watchdog: run exceeded " + maxRunMs + " ms\"}");
        System.out.flush();
        Runtime.getRuntime().halt(4);
      } catch (InterruptedException e) {
        // done
      }
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    ZkProbe p = new ZkProbe(argv[0], out);
    BufferedReader in = argv.length > 1
        ? new BufferedReader(new InputStreamReader(new FileInputStream(argv[1]), StandardCharsets.UTF_8))
        : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int exit = 0;
    String l;
    int lineNo = 0;
    while ((l = in.readLine()) != null) {
      lineNo++;
      try {
        p.run(l);
      } catch (Throwable t) {
        // A script bug or an unexpected client failure: report it as a line (so the diff shows
        // where) and stop, since later lines would run in an unknown state.
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fatal", t.getClass().getSimpleName() + ": " + t.getMessage());
        m.put("line", lineNo);
        m.put("text", l.trim());
        out.println(Json.write(m));
        out.flush();
        exit = 3;
        break;
      }
    }
    // Close the sessions the script left connected (so their ephemerals do not linger into the
    // next test), with a bounded wait; halt() then skips the client's non-daemon threads.
    for (Conn c : p.conns.values()) {
      if (c.zk.getState() == ZooKeeper.States.CONNECTED) {
        try {
          c.zk.close(2000);
        } catch (Throwable t) {
          // best effort
        }
      }
    }
    out.flush();
    Runtime.getRuntime().halt(exit);
  }
}
