export { startEmbeddedS3, type EmbeddedS3Options, type EmbeddedS3Server } from './server';
