/**
 * jacksonJson() writes what ZooKeeper 3.8.0's AdminServer writes, byte for byte (the expected
 * texts below were captured from it), including 64-bit ids beyond 2^53.
 */

import assert from "node:assert/strict";
import { jacksonJson, JavaDouble, javaDoubleText, javaLong } from "../../lib/admin/json.ts";

Deno.test("jacksonJson() matches ZooKeeper's connections answer", () => {
  const body = {
    connections: [{
      remote_socket_address: "127.0.0.1:37206",
      interest_ops: 1,
      outstanding_requests: 0,
      packets_received: 0,
      packets_sent: 0,
      session_id: 72057609290186752n,
      last_operation: "NA",
      established: 1796034482532,
      session_timeout: 30000,
      last_cxid: -1,
      last_zxid: -1,
      last_response_time: 0,
      last_latency: 0,
      min_latency: 0,
      avg_latency: 0,
      max_latency: 0,
    }],
    secure_connections: [],
    command: "connections",
    error: null,
  };
  assert.equal(
    jacksonJson(body),
    `{
  "connections" : [ {
    "remote_socket_address" : "127.0.0.1:37206",
    "interest_ops" : 1,
    "outstanding_requests" : 0,
    "packets_received" : 0,
    "packets_sent" : 0,
    "session_id" : 72057609290186752,
    "last_operation" : "NA",
    "established" : 1796034482532,
    "session_timeout" : 30000,
    "last_cxid" : -1,
    "last_zxid" : -1,
    "last_response_time" : 0,
    "last_latency" : 0,
    "min_latency" : 0,
    "avg_latency" : 0,
    "max_latency" : 0
  } ],
  "secure_connections" : [ ],
  "command" : "connections",
  "error" : null
}`,
  );
});

Deno.test("jacksonJson() matches ZooKeeper's dump and leader answers", () => {
  assert.equal(
    jacksonJson({
      expiry_time_to_session_ids: { "278000": [72057609290186752n] },
      session_id_to_ephemeral_paths: { "72057609290186752": ["/a/eph"] },
      command: "dump",
      error: null,
    }),
    `{
  "expiry_time_to_session_ids" : {
    "278000" : [ 72057609290186752 ]
  },
  "session_id_to_ephemeral_paths" : {
    "72057609290186752" : [ "/a/eph" ]
  },
  "command" : "dump",
  "error" : null
}`,
  );
  assert.equal(
    jacksonJson({ error: "server is not initialized", command: "leader" }),
    `{
  "error" : "server is not initialized",
  "command" : "leader"
}`,
  );
  assert.equal(
    jacksonJson({ current_config: {}, observers: [] }),
    `{
  "current_config" : { },
  "observers" : [ ]
}`,
  );
});

Deno.test("javaDoubleText() prints as Double.toString does", () => {
  assert.equal(javaDoubleText(0), "0.0");
  assert.equal(javaDoubleText(4.1667), "4.1667");
  assert.equal(javaDoubleText(12), "12.0");
  assert.equal(javaDoubleText(18288000), "1.8288E7");
  assert.equal(javaDoubleText(0.0001), "1.0E-4");
  assert.equal(jacksonJson({ avg_latency: new JavaDouble(0) }), `{\n  "avg_latency" : 0.0\n}`);
});

Deno.test("javaLong() prints 64-bit ids as Java's signed long", () => {
  assert.equal(javaLong(0xffffffffffffffffn), -1n);
  assert.equal(javaLong(72057609290186752n), 72057609290186752n);
  assert.equal(jacksonJson([javaLong(2n ** 63n)]), "[ -9223372036854775808 ]");
  // Strings are escaped as JSON requires; non-ASCII stays as it is.
  assert.equal(jacksonJson(['a"b\\c\n', "é"]), '[ "a\\"b\\\\c\\n", "é" ]');
});
