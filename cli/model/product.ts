/**
 * Who is speaking: the name, version and home the banners, reports and fingerprints print.
 *
 * @module
 */

/** Product name, as the reports print it ("Starting Porthole …", "Porthole scan report for …"). */
export const PORTHOLE_NAME = "Porthole";
/** Version for banners, reports and RunInfo.version. */
export const PORTHOLE_VERSION = "0.1.0";
/**
 * Printed where nmap prints its address (https://nmap.org) or its submission page
 * (https://nmap.org/submit/). Porthole has no web site or tracker of its own yet: its README
 * (installed beside the man page) is its home and says how to report results. Never an address
 * that does not exist, and never nmap's: nmap's databases must not receive Porthole's
 * fingerprints.
 */
export const PORTHOLE_HOME = "see README.md";
