import mongoose from 'mongoose';
import { stopTestMongo } from './mongo.ts';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await mongoose.disconnect();
    await stopTestMongo();
  },
};
