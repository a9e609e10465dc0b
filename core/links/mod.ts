/**
 * The links of a multi-modem box: discovery (`ip -j`, sysfs, ModemManager), classification
 * (ppp, wwan, usb-ethernet, ethernet, wifi), PPP bring-up, per-link policy routing, and the
 * live link set of `send --link auto`.
 *
 * Pure modules take tool output as text and return data; the `*_io.ts` modules run `ip`,
 * `mmcli` and `pppd`, read sysfs and files, and keep the clock.
 *
 * @example
 * ```ts
 * import { scanLinks, scanTable } from "./mod.ts";
 * const inventory = await scanLinks();
 * for (const line of scanTable(inventory)) console.log(line);
 * ```
 * @module
 */

export {
  BringUpError,
  NotRootError,
  requireRoot,
  RouteStateError,
  ToolFailedError,
  ToolOutputError,
} from "./errors.ts";
export { parseToolJson } from "./tool_json.ts";
export { parseIpAddrs, parseIpLinks, parseIpRoutes, parseIpRules } from "./ip_json.ts";
export type { Family, IpAddress, IpLink, IpRoute, IpRule } from "./ip_json.ts";
export { mmcliFailure, parseBearer, parseModem, parseModemList } from "./mmcli_json.ts";
export type {
  BearerInfo,
  BearerIpConfig,
  BearerMethod,
  ModemInfo,
  ModemPort,
} from "./mmcli_json.ts";
export { linkBasename, parseSysfsListing, parseUeventDevtype, SYSFS_SCRIPT } from "./sysfs.ts";
export type { SysfsFacts } from "./sysfs.ts";
export { classifyInterface, kindFromInterfaceName } from "./classify.ts";
export { addressOf, buildInventory } from "./inventory.ts";
export type {
  DiscoveredLink,
  DiscoveryInput,
  ExcludedInterface,
  ExclusionReason,
  Inventory,
  LinkAddress,
  LinkModem,
  LinkState,
  ToolNote,
  ToolStatus,
} from "./inventory.ts";
export { probeCell } from "./probe.ts";
export type { ProbeOutcome, ProbeResult } from "./probe.ts";
export { scanJson, scanTable } from "./scan_report.ts";
export { AutoLinkSet, isExcluded, WAN_KINDS } from "./auto_links.ts";
export type { AutoChange, AutoLinkOptions, LinkOptions } from "./auto_links.ts";
export {
  CHAT_PATH,
  chatPath,
  DEFAULT_PEERS_DIR,
  peerDevice,
  peerPath,
  pppChatScript,
  pppdCommand,
  pppFiles,
  pppOptionsSchema,
  pppPeerFile,
} from "./ppp_files.ts";
export type { IpType, PlannedFile, PppOptions } from "./ppp_files.ts";
export {
  bearerAddressCommands,
  chooseMethod,
  describeUp,
  describeWait,
  looksLikePppd,
  parsePidFile,
  planDown,
  planModemManagerUp,
  planPppUp,
  showCommand,
  showFileContent,
  upPhase,
} from "./bring_up.ts";
export type { DownPlan, UpMethod, UpPhase, UpPlan, UpVia } from "./bring_up.ts";
export {
  addCommand,
  assignTables,
  DEFAULT_RULE_PRIORITY,
  DEFAULT_STATE_DIR,
  DEFAULT_TABLE_BASE,
  delCommand,
  desiredItems,
  isPresent,
  itemKey,
  parseRouteState,
  planApply,
  planRemove,
  STATE_FILE,
  stateAfter,
  UNREACHABLE_METRIC,
} from "./route_plan.ts";
export type {
  CurrentRouting,
  PlannedCommand,
  RouteItem,
  RouteOptions,
  RoutePlan,
  RouteState,
} from "./route_plan.ts";
export { runTool, runToolOrThrow } from "./command_io.ts";
export type { ToolResult } from "./command_io.ts";
export { readSysfsFacts } from "./sysfs_io.ts";
export { interfaceAddrs, queryModems, readRouting, scanLinks } from "./discover_io.ts";
export type { ScanOptions } from "./discover_io.ts";
export { bringDown, bringUp, readPidFile } from "./ppp_io.ts";
export type { UpLog, WaitOptions } from "./ppp_io.ts";
export { loadRouteState, runPlan, saveRouteState } from "./route_io.ts";
export { probeLink } from "./probe_io.ts";
export type { ProbeTarget } from "./probe_io.ts";
export { watchLinks } from "./watch_io.ts";
export type { WatchOptions } from "./watch_io.ts";
export { kindFromName, LinkResolveError, resolveLink } from "./resolve.ts";
export type { InterfaceAddress, ResolvedLink } from "./resolve.ts";
