// The numbered, forward-only migrations, in order. Never edit one that has shipped: add the next.
// They are TypeScript strings rather than .sql files so the bundled Electron build carries them.
import { sql as m001 } from './001-initial';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [{ version: 1, name: 'initial', sql: m001 }];
