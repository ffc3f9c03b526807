declare module 'aedes-persistence-level/asyncPersistence.js' {
  /** aedes 1.x async persistence over a level database (classic-level or level). */
  export default class AsyncLevelPersistence {
    constructor(db: object);
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }
}
