// The numbered, forward-only migrations, in order. Never edit one that has shipped: add the next.
// They are TypeScript strings rather than .sql files so the bundled Electron build carries them.
import { sql as m001 } from './001-initial';
import { foreignKeysOff as fk002, sql as m002 } from './002-model-folders';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Rebuilds a referenced table: run with foreign keys off, checked before commit. */
  foreignKeysOff?: boolean;
}

export const migrations: Migration[] = [
  { version: 1, name: 'initial', sql: m001 },
  { version: 2, name: 'model-folders', sql: m002, foreignKeysOff: fk002 },
];
