// The service version reported by /health and the CLI, from package.json.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
