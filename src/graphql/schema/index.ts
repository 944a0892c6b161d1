import { builder } from '../builder.js';
import './scalars.js';
import './logs.js';
import './vehicles.js';
import './stats.js';
import './history.js';
import './alerts.js';
import './fleet-history.js';

export const schema = builder.toSchema({ sortSchema: false });
