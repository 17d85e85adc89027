// What the bundled builds (the lean device build, the Node-RED package) share.
export { bundledPackages, writeNotices } from './notices.ts';
