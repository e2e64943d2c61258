// Hardware profiles measured on this machine (`twinforge hw detect`): one JSON document per name.
import { badInput } from '../../errors';
import { now, type ZooDb } from '../db';
import { parseJson, toJson } from './json';

export interface StoredHardwareProfile<T = unknown> {
  name: string;
  profile: T;
  host: string | null;
  measuredAt: string;
}

interface HwRow {
  name: string;
  profile: string;
  host: string | null;
  measured_at: string;
}

/** Saves (or replaces) a profile under a name; the document is stored as given. */
export function saveHardwareProfile(db: ZooDb, name: string, profile: unknown, host: string | null = null): StoredHardwareProfile {
  if (!name || name.length > 128) throw badInput(`'${name}' is not a valid profile name.`, 'Use 1 to 128 characters.');
  const at = now();
  db.stmt(
    `INSERT INTO hardware_profiles (name, profile, host, measured_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET profile = excluded.profile, host = excluded.host, measured_at = excluded.measured_at`,
  ).run(name, toJson(profile), host, at);
  return { name, profile, host, measuredAt: at };
}

export function getHardwareProfile<T = unknown>(db: ZooDb, name: string): StoredHardwareProfile<T> | undefined {
  const r = db.stmt<HwRow>('SELECT * FROM hardware_profiles WHERE name = ?').get(name);
  return r ? { name: r.name, profile: parseJson<T>(r.profile, null as T), host: r.host, measuredAt: r.measured_at } : undefined;
}

export function listHardwareProfiles(db: ZooDb): StoredHardwareProfile[] {
  return db
    .stmt<HwRow>('SELECT * FROM hardware_profiles ORDER BY name')
    .all()
    .map((r) => ({ name: r.name, profile: parseJson(r.profile, null), host: r.host, measuredAt: r.measured_at }));
}

export function deleteHardwareProfile(db: ZooDb, name: string): boolean {
  return db.stmt('DELETE FROM hardware_profiles WHERE name = ?').run(name).changes > 0;
}
