import { env } from '@/server/env';
import { openDb } from './client';

openDb(env.DATABASE_PATH).$client.close();
console.log(`migrated ${env.DATABASE_PATH}`);
