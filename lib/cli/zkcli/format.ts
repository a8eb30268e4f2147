/**
 * Output formats of zkCli 3.8: the Stat block (StatPrinter), dates as Java's Date.toString()
 * prints them, and the error texts of CliWrapperException.
 */

import { Err, errMessage } from "../../proto/errors.ts";
import type { Stat } from "../../proto/records.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The local zone's short name at `date` ("UTC", "PST"; "GMT+1" where Java would say "CET"). */
function zoneName(date: Date): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "UTC";
}

/**
 * Java's Date.toString(): "EEE MMM dd HH:mm:ss zzz yyyy" in the local time zone, e.g.
 * "Tue Nov 24 16:21:00 UTC 2026".
 */
export function javaDateString(epochMs: number): string {
  const d = new Date(epochMs);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ` +
    `${zoneName(d)} ${d.getFullYear()}`;
}

/** Long.toHexString: lowercase, no padding, two's complement for negatives. */
export function javaHex(v: number | bigint): string {
  return BigInt.asUintN(64, BigInt(v)).toString(16);
}

/** The lines zkCli's StatPrinter prints for a Stat. */
export function statLines(s: Stat): string[] {
  return [
    `cZxid = 0x${javaHex(s.czxid)}`,
    `ctime = ${javaDateString(s.ctime)}`,
    `mZxid = 0x${javaHex(s.mzxid)}`,
    `mtime = ${javaDateString(s.mtime)}`,
    `pZxid = 0x${javaHex(s.pzxid)}`,
    `cversion = ${s.cversion}`,
    `dataVersion = ${s.version}`,
    `aclVersion = ${s.aversion}`,
    `ephemeralOwner = 0x${javaHex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`,
    `numChildren = ${s.numChildren}`,
  ];
}

/**
 * The message zkCli prints for a failed request (CliWrapperException.getMessage): friendly
 * texts for the common codes, Java's KeeperException message for the rest.
 */
export function keeperErrorText(code: number, path: string | undefined): string {
  const p = path ?? "null";
  switch (code) {
    case Err.NONODE:
      return `Node does not exist: ${p}`;
    case Err.NOCHILDRENFOREPHEMERALS:
      return `Ephemerals cannot have children: ${p}`;
    case Err.NODEEXISTS:
      return `Node already exists: ${p}`;
    case Err.NOTEMPTY:
      return `Node not empty: ${p}`;
    case Err.NOTREADONLY:
      return `Not a read-only call: ${p}`;
    case Err.INVALIDACL:
      return `Acl is not valid : ${p}`;
    case Err.NOAUTH:
      return `Insufficient permission : ${p}`;
    case Err.BADARGUMENTS:
      return `Arguments are not valid : ${p}`;
    case Err.BADVERSION:
      return `version No is not valid : ${p}`;
    case Err.RECONFIGINPROGRESS:
      return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)";
    case Err.NEWCONFIGNOQUORUM:
      return "No quorum of new config is connected and up-to-date with the leader of last " +
        "commmitted config - try invoking reconfiguration after new servers are connected and synced";
    default:
      return keeperExceptionMessage(code, path);
  }
}

/** Java's KeeperException.getMessage(): "KeeperErrorCode = NoNode for /x". */
export function keeperExceptionMessage(code: number, path: string | undefined): string {
  return path === undefined || path === "" ? errMessage(code) : `${errMessage(code)} for ${path}`;
}

const EVENT_NAMES: Readonly<Record<number, string>> = {
  [-1]: "None",
  1: "NodeCreated",
  2: "NodeDeleted",
  3: "NodeDataChanged",
  4: "NodeChildrenChanged",
  5: "DataWatchRemoved",
  6: "ChildWatchRemoved",
  7: "PersistentWatchRemoved",
};

const STATE_NAMES: Readonly<Record<number, string>> = {
  [-1]: "Unknown",
  0: "Disconnected",
  1: "NoSyncConnected",
  3: "SyncConnected",
  4: "AuthFailed",
  5: "ConnectedReadOnly",
  6: "SaslAuthenticated",
  [-112]: "Expired",
  7: "Closed",
};

/** An EventType's Java name ("NodeDataChanged"); the number for one Java does not know. */
export function eventTypeName(type: number): string {
  return EVENT_NAMES[type] ?? String(type);
}

/** A KeeperState's Java name ("SyncConnected"). */
export function keeperStateName(state: number): string {
  return STATE_NAMES[state] ?? String(state);
}

/** WatchedEvent.toString(): "WatchedEvent state:SyncConnected type:None path:null". */
export function watchedEventText(e: { type: number; state: number; path: string | null }): string {
  return `WatchedEvent state:${keeperStateName(e.state)} type:${eventTypeName(e.type)} ` +
    `path:${e.path ?? "null"}`;
}
