#!/usr/bin/env node
import { createLaminaApp } from './lamina-app';

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
// Without credentials (plain `cdk synth`) the stacks stay environment-agnostic.
createLaminaApp({ env: account && region ? { account, region } : undefined });
