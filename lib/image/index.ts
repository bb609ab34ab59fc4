export * from './types';
export { DOCKER_HUB, digestProblem, formatReference, parseImageName } from './reference';
export * from './registry';
