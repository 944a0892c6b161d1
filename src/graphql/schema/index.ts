import { builder } from '../builder.js';
import './scalars.js';
import './logs.js';
import './live.js'; // right after logs: Subscription.logs stays the first subscription field
import './vehicles.js';
import './stats.js';
import './history.js';
import './alerts.js';
import './fleet-history.js';
import './auth.js';

export const schema = builder.toSchema({ sortSchema: false });
