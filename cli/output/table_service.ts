/**
 * The service a report shows for a port: what the engine or -sV found, else
 * the services table's name for the port (method "table", confidence 3), as
 * nmap's PortList::getServiceDeductions() fills it at output time. Ports the
 * table does not know get no service at all (nmap writes no <service>).
 */

import type { PortResult, ServiceInfo } from "../model/mod.ts";
import type { ServicesDb } from "../services_db.ts";

/** The port's service, falling back to the services table. */
export function reportedService(p: PortResult, db: ServicesDb): ServiceInfo | undefined {
  if (p.service) return p.service;
  const name = db.name(p.protocol, p.port);
  return name === undefined ? undefined : { name, method: "table", confidence: 3 };
}

/** The port with {@link reportedService} filled in (the original is not changed). */
export function withReportedService(p: PortResult, db: ServicesDb): PortResult {
  if (p.service) return p;
  const service = reportedService(p, db);
  return service ? { ...p, service } : p;
}
