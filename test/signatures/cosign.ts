// Moved to test/support so that the signature bench can sign images too.
export * from '../support/cosign';
