export { initORM, type MikroORM } from './orm.js';
export * from './entities.js';
