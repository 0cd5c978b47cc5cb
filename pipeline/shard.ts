// One shard of the monitor: packet counters and a flow engine, and the answers to every query.
//
// A pipeline worker owns one (pipeline/engine_worker.ts); tests own one in-process
// (pipeline/local_monitor.ts). Either way the engine is read only through answer().

import type { PacketBatch } from "../capture/packet_batch.ts";
import {
  engineFigures,
  hostsByAddress,
  protocolsView,
  talkerCandidates,
  topHosts,
} from "../flows/engine_views.ts";
import { FlowEngine, type FlowEngineOptions } from "../flows/flow_engine.ts";
import { PacketCounters } from "../flows/packet_counters.ts";
import { hostDetail } from "../flows/host_detail.ts";
import type { GeoIp } from "../flows/identity/geoip.ts";
import { Identity } from "../flows/identity/identity.ts";
import { ParameterError } from "../flows/param_error.ts";
import { ProtocolTotals } from "../flows/protocol_totals.ts";
import type { FlowPage, FlowQuery } from "../flows/query.ts";
import { seriesView } from "../flows/series_view.ts";
import type { ShardAnswers, ShardError, ShardRequest } from "./protocol.ts";

/** Counters and an engine, answering queries about them. */
export class Shard {
  readonly counters = new PacketCounters();
  readonly engine: FlowEngine;
  readonly #totals = new ProtocolTotals();
  /** Kernel and interface drops already folded into the engine's series. */
  #droppedSoFar = 0;
  #sweptMinute = -1;
  /** The history ring's earliest last-packet time, as of the last tick. */
  #oldestEnded: number | null = null;

  /** The engine gets an Identity (names, apps, places) unless `options` brings its own. */
  constructor(options: FlowEngineOptions & { geoip?: GeoIp } = {}) {
    const { geoip, ...rest } = options;
    this.engine = new FlowEngine({ identity: new Identity({ geoip }), ...rest });
  }

  /** Accounts a batch (the packet path). */
  add(batch: PacketBatch): void {
    this.counters.add(batch);
    this.engine.add(batch);
  }

  /**
   * Ends every flow (shutdown) and notes the oldest ended one at once: /flows leaves the ended
   * flows memory holds out of what it reads from disk by that time, and a stale one (the last
   * tick's) listed each flow ended here twice until the process exited.
   */
  endAll(): void {
    this.engine.endAll();
    this.#oldestEnded = this.engine.history.oldestLast();
  }

  /**
   * Once a second: folds new drops (a running total) into the series, ends idle flows at
   * `nowSec` and folds the protocol totals (so they never miss a second of the ring).
   */
  tick(nowSec: number, droppedTotal: number): void {
    if (droppedTotal > this.#droppedSoFar) {
      this.engine.addDrops(nowSec, droppedTotal - this.#droppedSoFar);
      this.#droppedSoFar = droppedTotal;
    }
    this.engine.tick(nowSec);
    this.#totals.read(this.engine.series, nowSec);
    this.#oldestEnded = this.engine.history.oldestLast();
    // Names past their TTL go, once a minute.
    if (Math.floor(nowSec / 60) !== this.#sweptMinute) {
      this.#sweptMinute = Math.floor(nowSec / 60);
      this.engine.identity?.passiveDns.sweep(nowSec);
    }
  }

  /** Answers `request` at `nowSec`; throws ParameterError on a parameter it cannot accept. */
  answer<R extends ShardRequest>(request: R, nowSec: number): ShardAnswers[R["op"]] {
    const e = this.engine;
    const r = request as ShardRequest;
    let value: unknown;
    switch (r.op) {
      case "flows":
        value = this.#flows(r.query, nowSec);
        break;
      case "flow":
        value = e.flowById(r.id, nowSec) ?? null;
        break;
      case "talkers":
        value = topHosts(e, nowSec, r.window, r.by, r.limit);
        break;
      case "talkerCandidates":
        value = talkerCandidates(e, nowSec, r.window, r.by, r.cap);
        break;
      case "hosts":
        value = hostsByAddress(e, nowSec, r.window, r.addresses, r.describe);
        break;
      case "protocols":
        value = protocolsView(e, nowSec, r.window);
        break;
      case "series":
        value = seriesView(e.series, nowSec, r.params);
        break;
      case "host":
        value = hostDetail(e, r.address, nowSec);
        break;
      case "figures":
        value = engineFigures(e, this.#totals.read(e.series, nowSec), this.#oldestEnded);
        break;
    }
    return value as ShardAnswers[R["op"]];
  }

  #flows(query: FlowQuery, nowSec: number): FlowPage {
    try {
      return this.engine.query(query, nowSec);
    } catch (error) {
      if (error instanceof TypeError && /cursor/i.test(error.message)) {
        throw new ParameterError(
          "cursor",
          query.cursor,
          "expected the next_cursor of a previous page with the same sort and order",
        );
      }
      throw error;
    }
  }
}

/** An error thrown by answer(), as it crosses to the main thread. */
export function shardError(error: unknown): ShardError {
  if (error instanceof ParameterError) {
    return {
      kind: "parameter",
      message: error.message,
      parameter: error.parameter,
      value: error.value,
      expected: error.expected,
    };
  }
  // The engine throws TypeError and RangeError for filters, sorts and pages it cannot accept.
  if (error instanceof TypeError || error instanceof RangeError) {
    return { kind: "parameter", message: error.message };
  }
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}
