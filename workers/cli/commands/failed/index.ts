export { failedCommand } from './failed-command.js';
