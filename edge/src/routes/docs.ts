import { Hono } from 'hono';
import type { AppEnv } from '../types';

/** OpenAPI document and docs page (filled in by the OpenAPI step). */
export const docsRoutes = new Hono<AppEnv>();
