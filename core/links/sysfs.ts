/**
 * What `/sys/class/net/<if>/` says about an interface's hardware, as plain data: the facts
 * that tell a USB modem from a PCI Ethernet card or a Wi-Fi radio. `sysfs_io.ts` reads them;
 * this module only describes and parses them.
 * @module
 */

/**
 * Hardware facts of one interface. All optional: virtual interfaces have no device.
 * @example
 * ```ts
 * const hilink: SysfsFacts = { driver: "cdc_ether", subsystem: "usb" };
 * const radio: SysfsFacts = { wireless: true, driver: "iwlwifi", subsystem: "pci", devtype: "wlan" };
 * ```
 */
export interface SysfsFacts {
  /** `device/driver` link's last part: e1000e, iwlwifi, qmi_wwan, cdc_ether, rndis_host ... */
  driver?: string;
  /** `device/subsystem` link's last part: pci, usb, virtio, platform, sdio ... */
  subsystem?: string;
  /** `DEVTYPE=` of `uevent`: wlan, wwan, bridge, vlan, gadget ... */
  devtype?: string;
  /** `wireless/` or `phy80211` exists: a Wi-Fi radio. */
  wireless?: boolean;
}

/**
 * Reads the `DEVTYPE=` line of `/sys/class/net/<if>/uevent`.
 * @example
 * ```ts
 * parseUeventDevtype("DEVTYPE=wlan\nINTERFACE=wlan0\nIFINDEX=3\n"); // "wlan"
 * ```
 */
export function parseUeventDevtype(text: string): string | undefined {
  const m = /^DEVTYPE=(.+)$/m.exec(text);
  return m ? m[1].trim() : undefined;
}

/**
 * The last part of a sysfs symlink target (`../../../../bus/usb/drivers/qmi_wwan` -> qmi_wwan).
 * @example
 * ```ts
 * linkBasename("../../../../bus/usb/drivers/cdc_ether"); // "cdc_ether"
 * ```
 */
export function linkBasename(target: string): string {
  const parts = target.split("/").filter((p) => p !== "");
  return parts[parts.length - 1] ?? "";
}

/**
 * The shell script `sysfs_io.ts` runs: one tab-separated line per interface with its name,
 * wireless (1/0), driver, subsystem and DEVTYPE. (Deno asks for --allow-all to read /sys
 * itself; `sh` reads it under --allow-run.)
 * @example
 * ```ts
 * new Deno.Command("sh", { args: ["-c", SYSFS_SCRIPT] });
 * ```
 */
export const SYSFS_SCRIPT = `for d in /sys/class/net/*; do
  [ -e "$d" ] || continue
  w=0; if [ -e "$d/wireless" ] || [ -e "$d/phy80211" ]; then w=1; fi
  drv=$(readlink "$d/device/driver" 2>/dev/null); sub=$(readlink "$d/device/subsystem" 2>/dev/null)
  dt=$(sed -n 's/^DEVTYPE=//p' "$d/uevent" 2>/dev/null | head -n 1)
  printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "\${d##*/}" "$w" "\${drv##*/}" "\${sub##*/}" "$dt"
done`;

/**
 * Parses the output of {@link SYSFS_SCRIPT}: interface name -> facts.
 * @example
 * ```ts
 * parseSysfsListing("wlan0\t1\tiwlwifi\tpci\twlan\n");
 * // { wlan0: { wireless: true, driver: "iwlwifi", subsystem: "pci", devtype: "wlan" } }
 * ```
 */
export function parseSysfsListing(text: string): Record<string, SysfsFacts> {
  const out: Record<string, SysfsFacts> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const [name, wireless, driver, subsystem, devtype] = line.split("\t");
    if (!name) continue;
    const f: SysfsFacts = {};
    if (wireless === "1") f.wireless = true;
    if (driver) f.driver = driver;
    if (subsystem) f.subsystem = subsystem;
    if (devtype) f.devtype = devtype;
    out[name] = f;
  }
  return out;
}
