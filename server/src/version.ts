import pkg from '../../package.json';

export const TOOL = 'inference-lens';
export const VERSION: string = pkg.version;
