#!/usr/bin/env node
// Part of the build: the empty embedded cluster a first start copies instead of running initdb.
import { buildTemplate } from '../dist/backends/sql/pglite.js';

await buildTemplate();
