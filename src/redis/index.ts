export { closeConnection } from './close-connection.js';
