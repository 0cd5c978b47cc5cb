// The flow stage: packet accounting, bidirectional flows, history, hosts, time series, queries.
// Never imports FFI code.

export { PacketCounters } from "./packet_counters.ts";
export { DEFAULT_FLOW_CONFIG, type FlowConfig, resolveFlowConfig } from "./flow_config.ts";
export {
  EndReason,
  type FlowEndListener,
  FlowEngine,
  type FlowEngineOptions,
} from "./flow_engine.ts";
export { type FlowRecord, flowRecord, protoName, protoNumber } from "./flow_record.ts";
export { FlowHistory } from "./flow_history.ts";
export { FlowStore, MetaBit } from "./flow_store.ts";
export { FlowClass, FlowTable, flowTableBytesPerFlow } from "./flow_table.ts";
export { type HostStats, HostTable, type HostWindow, RATE_SECONDS } from "./hosts.ts";
export { SERVICE_NAMES, serviceByName, serviceIndex } from "./services.ts";
export { CONN_STATE_NAMES, ConnState, connState, FlowBit, TcpFlag } from "./tcp_state.ts";
export {
  L4_CLASS_NAMES,
  L4Class,
  TimeSeries,
  type TrafficPoint,
  type TrafficTotals,
} from "./time_series.ts";
export { TupleSet } from "./tuple_set.ts";
export { type FlowPage, type FlowQuery, MAX_LIMIT, queryFlows, type SortKey } from "./query.ts";
export { CompiledFilter, type FlowFilter, parsePrefix } from "./query_filter.ts";
export { addressWordsOf } from "./address_parse.ts";
