import assert from "node:assert/strict";
import {
  parseConfigText,
  prepareReconfig,
  type ReconfigState,
} from "../../lib/replica/reconfig.ts";
import { parseServerLine } from "../../lib/config/ensemble.ts";
import { Err } from "../../lib/proto/errors.ts";
import { Op } from "../../lib/proto/ops.ts";

const members = [1, 2, 3].map((id) =>
  parseServerLine(
    `server.${id}`,
    `127.0.0.1:${2880 + id}:${3880 + id}:participant;127.0.0.1:${2180 + id}`,
  )
);

function state(over: Partial<ReconfigState> = {}): ReconfigState {
  return {
    members,
    version: 0x100000000,
    inProgress: false,
    synced: new Set([1, 2, 3]),
    permitted: true,
    ...over,
  };
}

function req(
  over: {
    joiningServers?: string;
    leavingServers?: string;
    newMembers?: string;
    curConfigId?: number;
  },
) {
  return {
    op: Op.reconfig,
    joiningServers: over.joiningServers ?? null,
    leavingServers: over.leavingServers ?? null,
    newMembers: over.newMembers ?? null,
    curConfigId: over.curConfigId ?? -1,
  } as const;
}

const JOIN4 = "server.4=127.0.0.1:2884:3884:participant;127.0.0.1:2184";

Deno.test("prepareReconfig() adds and removes members; the new text is versioned by the txn's zxid", () => {
  const out = prepareReconfig(
    req({ joiningServers: JOIN4, leavingServers: "2" }),
    state(),
    0x100000007,
  );
  assert.ok("data" in out);
  const text = new TextDecoder().decode(out.data);
  assert.equal(
    text,
    "server.1=127.0.0.1:2881:3881:participant;127.0.0.1:2181\n" +
      "server.3=127.0.0.1:2883:3883:participant;127.0.0.1:2183\n" +
      "server.4=127.0.0.1:2884:3884:participant;127.0.0.1:2184\n" +
      "version=100000007",
  );
  assert.deepEqual(parseConfigText(text).members.map((m) => m.id), [1, 3, 4]);
});

Deno.test("prepareReconfig() takes a whole new member list (comma or newline separated)", () => {
  const list = members.map((m, i) => `server.${m.id}=127.0.0.1:${2881 + i}:${3881 + i};${2181 + i}`)
    .join(",");
  const out = prepareReconfig(req({ newMembers: list }), state(), 9);
  assert.ok("data" in out);
  assert.deepEqual(out.members.map((m) => m.id), [1, 2, 3]);
});

Deno.test("prepareReconfig() checks in ZooKeeper's order: in progress, version, arguments, voters, sync, ACL", () => {
  const code = (r: ReturnType<typeof prepareReconfig>) => "err" in r ? r.err : Err.OK;
  const bad = req({ joiningServers: "server.4=garbage", curConfigId: 5 });
  assert.equal(
    code(prepareReconfig(bad, state({ inProgress: true, permitted: false }), 9)),
    Err.RECONFIGINPROGRESS,
  );
  assert.equal(code(prepareReconfig(bad, state({ permitted: false }), 9)), Err.BADVERSION);
  assert.equal(
    code(prepareReconfig({ ...bad, curConfigId: -1 }, state({ permitted: false }), 9)),
    Err.BADARGUMENTS,
  );
  assert.equal(
    code(
      prepareReconfig(req({ joiningServers: "server.4=127.0.0.1:1:2:participant" }), state(), 9),
    ),
    Err.BADARGUMENTS,
    "a joiner needs its client port",
  );
  assert.equal(code(prepareReconfig(req({ leavingServers: "1,2" }), state(), 9)), Err.BADARGUMENTS);
  assert.equal(
    code(
      prepareReconfig(
        req({ joiningServers: JOIN4, leavingServers: "2" }),
        state({ synced: new Set([1]) }),
        9,
      ),
    ),
    Err.NEWCONFIGNOQUORUM,
  );
  assert.equal(
    code(prepareReconfig(req({ leavingServers: "3" }), state({ permitted: false }), 9)),
    Err.NOAUTH,
  );
  assert.equal(
    code(prepareReconfig(req({ leavingServers: "3", curConfigId: 0x100000000 }), state(), 9)),
    Err.OK,
  );
});

Deno.test("prepareReconfig() reads server ids as Long.parseLong: MARSHALLINGERROR where it throws", () => {
  const code = (r: ReturnType<typeof prepareReconfig>) => "err" in r ? r.err : Err.OK;
  const spec = "127.0.0.1:2884:3884:participant;127.0.0.1:2184";
  const all = members.map((m, i) => `server.${m.id}=127.0.0.1:${2881 + i}:${3881 + i};${2181 + i}`)
    .join(",");
  const cases: Array<[Parameters<typeof req>[0], number]> = [
    // ZooKeeper's NumberFormatException escapes its ConfigException handler.
    [{ leavingServers: "x" }, Err.MARSHALLINGERROR],
    [{ leavingServers: "3, x" }, Err.MARSHALLINGERROR],
    [{ leavingServers: "99999999999999999999" }, Err.MARSHALLINGERROR],
    [{ leavingServers: "x", joiningServers: "server.4=garbage" }, Err.MARSHALLINGERROR],
    [{ joiningServers: `server.x=${spec}` }, Err.MARSHALLINGERROR],
    [{ newMembers: `${all},server.x=${spec}` }, Err.MARSHALLINGERROR],
    [{ newMembers: `${all},version=zz` }, Err.MARSHALLINGERROR],
    // What Long.parseLong and ZooKeeper's splitting accept.
    [{ leavingServers: "+3" }, Err.OK],
    [{ leavingServers: " 03 , " }, Err.OK],
    [{ joiningServers: `foo.4=${spec}` }, Err.OK],
    [{ joiningServers: `4=${spec}` }, Err.OK],
    [{ joiningServers: `server.+4=${spec}` }, Err.OK],
    [{ joiningServers: `server.4==${spec}` }, Err.OK],
    [{ joiningServers: `server.4 = ${spec}` }, Err.OK],
    [{ newMembers: `${all},server.+4=${spec}` }, Err.OK],
    // Still malformed: an unknown key comes first, then the spec itself.
    [{ newMembers: `${all},foo.4=${spec}` }, Err.BADARGUMENTS],
    [{ newMembers: `foo=1,server.x=${spec}` }, Err.BADARGUMENTS],
    [{ joiningServers: `=${spec}` }, Err.BADARGUMENTS],
    [{ joiningServers: "server.4=" }, Err.BADARGUMENTS],
  ];
  for (const [over, want] of cases) {
    assert.equal(code(prepareReconfig(req(over), state(), 9)), want, JSON.stringify(over));
  }
  const plus = prepareReconfig(req({ joiningServers: `server.+4=${spec}` }), state(), 9);
  assert.ok("members" in plus);
  assert.deepEqual(plus.members.map((m) => m.id), [1, 2, 3, 4]);
});
