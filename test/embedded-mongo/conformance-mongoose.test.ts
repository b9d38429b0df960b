// Conformance through Mongoose 9: validation, unique indexes via syncIndexes, populate, lean,
// timestamps, optimistic concurrency, and the session-store style TTL/upsert traffic.
import { expect } from 'chai';
import mongoose, { Schema, type Connection } from 'mongoose';
import { testMongoUri } from '../support/mongo.ts';

describe('embedded-mongo conformance: Mongoose', function () {
  this.timeout(30_000);
  let conn: Connection;

  const authorSchema = new Schema({
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    name: { type: String, required: true, minlength: 2 },
    age: { type: Number, min: 0, max: 150 },
    role: { type: String, enum: ['reader', 'writer'], default: 'reader' },
  }, { timestamps: true });
  const postSchema = new Schema({
    title: { type: String, required: true },
    author: { type: Schema.Types.ObjectId, ref: 'Author', required: true },
    tags: [String],
    likes: { type: Number, default: 0 },
    comments: [{ by: String, text: String, at: Date }],
  }, { timestamps: true, optimisticConcurrency: true });
  postSchema.index({ author: 1, createdAt: -1 });

  let Author: mongoose.Model<mongoose.InferSchemaType<typeof authorSchema>>;
  let Post: mongoose.Model<mongoose.InferSchemaType<typeof postSchema>>;

  before(async () => {
    conn = await mongoose.createConnection(await testMongoUri('conf_mongoose'), { autoIndex: false }).asPromise();
    Author = conn.model('Author', authorSchema);
    Post = conn.model('Post', postSchema);
    await Author.syncIndexes();
    await Post.syncIndexes();
  });
  after(async () => {
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  });

  it('syncIndexes creates the schema indexes (unique included)', async () => {
    const authorIdx = await Author.listIndexes();
    const email = authorIdx.find((i) => i.key.email === 1);
    expect(email).to.include({ unique: true });
    const postIdx = (await Post.listIndexes()).map((i) => i.name);
    expect(postIdx).to.include('author_1_createdAt_-1');
    // running it again changes nothing
    expect(await Author.syncIndexes()).to.deep.equal([]);
  });

  it('validates before writing and reports every field', async () => {
    let err: mongoose.Error.ValidationError | undefined;
    try {
      await Author.create({ email: 'x@example.org', name: 'A', age: -1, role: 'admin' as 'reader' }); // invalid on purpose
    } catch (e) {
      err = e as mongoose.Error.ValidationError;
    }
    expect(err).to.be.instanceOf(mongoose.Error.ValidationError);
    expect(Object.keys(err!.errors).sort()).to.deep.equal(['age', 'name', 'role']);
    expect(await Author.countDocuments({ email: 'x@example.org' })).to.equal(0);
    // update validators run when asked
    const ok = await Author.create({ email: ' Val@Example.org ', name: 'Valid' });
    expect(ok.email).to.equal('val@example.org');
    let updErr: unknown;
    try {
      await Author.updateOne({ _id: ok._id }, { $set: { age: 999 } }, { runValidators: true });
    } catch (e) {
      updErr = e;
    }
    expect(updErr).to.be.instanceOf(mongoose.Error.ValidationError);
  });

  it('a duplicate on the unique index is a MongoServerError 11000 with keyValue', async () => {
    await Author.create({ email: 'dup@example.org', name: 'First' });
    let err: { code?: number; keyValue?: unknown; keyPattern?: unknown } | undefined;
    try {
      await Author.create({ email: 'DUP@example.org', name: 'Second' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal(11000);
    expect(err?.keyValue).to.deep.equal({ email: 'dup@example.org' });
    expect(err?.keyPattern).to.deep.equal({ email: 1 });
  });

  it('timestamps are set on create and updatedAt moves on update', async () => {
    const a = await Author.create({ email: 'ts@example.org', name: 'Time' });
    expect(a.createdAt).to.be.instanceOf(Date);
    expect(a.updatedAt!.getTime()).to.equal(a.createdAt!.getTime());
    await new Promise((r) => setTimeout(r, 20));
    const updated = await Author.findOneAndUpdate({ _id: a._id }, { $set: { age: 30 } }, { returnDocument: 'after' });
    expect(updated!.age).to.equal(30);
    expect(updated!.updatedAt!.getTime()).to.be.greaterThan(a.updatedAt!.getTime());
    expect(updated!.createdAt!.getTime()).to.equal(a.createdAt!.getTime());
    // an upsert sets both
    const up = await Author.findOneAndUpdate({ email: 'new@example.org' }, { $set: { name: 'Upserted' } }, { upsert: true, returnDocument: 'after' });
    expect(up!.createdAt).to.be.instanceOf(Date);
    expect(up!.role).to.equal('reader');
  });

  it('populate follows references; lean returns plain objects', async () => {
    const writer = await Author.create({ email: 'writer@example.org', name: 'Writer', role: 'writer' });
    await Post.create([
      { title: 'One', author: writer._id, tags: ['a', 'b'] },
      { title: 'Two', author: writer._id, tags: ['b'] },
    ]);
    const posts = await Post.find({ author: writer._id }).sort({ title: 1 }).populate('author', 'name role');
    expect(posts.map((p) => p.title)).to.deep.equal(['One', 'Two']);
    const populated = posts[0]!.author as unknown as { name: string; role: string; email?: string };
    expect(populated.name).to.equal('Writer');
    expect(populated.role).to.equal('writer');
    expect(populated.email).to.equal(undefined);
    const lean = await Post.find({ tags: 'b' }).sort({ title: -1 }).select('title tags').lean();
    expect(lean.map((p) => p.title)).to.deep.equal(['Two', 'One']);
    expect(Object.getPrototypeOf(lean[0])).to.equal(Object.prototype);
    expect(lean[0]!._id).to.be.instanceOf(mongoose.Types.ObjectId);
    const leanPop = await Post.findOne({ title: 'One' }).populate('author').lean();
    expect((leanPop!.author as unknown as { email: string }).email).to.equal('writer@example.org');
    const counts = await Post.aggregate([{ $match: { author: writer._id } }, { $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(counts).to.deep.equal([{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }]);
  });

  it('optimistic concurrency: a stale save is refused with VersionError', async () => {
    const author = await Author.create({ email: 'occ@example.org', name: 'Occ' });
    const post = await Post.create({ title: 'Versioned', author: author._id });
    const a = await Post.findById(post._id);
    const b = await Post.findById(post._id);
    a!.likes = 1;
    await a!.save();
    b!.likes = 2;
    let err: unknown;
    try {
      await b!.save();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(mongoose.Error.VersionError);
    const fresh = await Post.findById(post._id).lean();
    expect(fresh!.likes).to.equal(1);
    expect(fresh!.__v).to.equal(1);
  });

  it('findOneAndUpdate guarded by the version: one of two racing writers wins', async () => {
    const author = await Author.create({ email: 'race@example.org', name: 'Race' });
    const post = await Post.create({ title: 'Race', author: author._id });
    const v = post.__v;
    const attempt = (title: string) => Post.findOneAndUpdate({ _id: post._id, __v: v }, { $set: { title }, $inc: { __v: 1 } }, { returnDocument: 'after' });
    const [r1, r2] = await Promise.all([attempt('first'), attempt('second')]);
    const winners = [r1, r2].filter(Boolean);
    expect(winners).to.have.length(1);
    const fresh = await Post.findById(post._id).lean();
    expect(fresh!.title).to.equal(winners[0]!.title);
    expect(fresh!.__v).to.equal(v + 1);
  });

  it('arrays of subdocuments: push, positional update, pull', async () => {
    const author = await Author.create({ email: 'sub@example.org', name: 'Sub' });
    const post = await Post.create({ title: 'Subdocs', author: author._id });
    await Post.updateOne({ _id: post._id }, { $push: { comments: { by: 'x', text: 'hello', at: new Date() } } });
    await Post.updateOne({ _id: post._id }, { $push: { comments: { by: 'y', text: 'hi' } } });
    await Post.updateOne({ _id: post._id, 'comments.by': 'y' }, { $set: { 'comments.$.text': 'edited' } });
    const doc = await Post.findById(post._id);
    expect(doc!.comments.map((c) => `${c.by}:${c.text}`)).to.deep.equal(['x:hello', 'y:edited']);
    doc!.comments.pull(doc!.comments[0]!._id);
    await doc!.save();
    const again = await Post.findById(post._id).lean();
    expect(again!.comments.map((c) => c.by)).to.deep.equal(['y']);
  });

  it('deleteMany, countDocuments, distinct and exists', async () => {
    const author = await Author.create({ email: 'del@example.org', name: 'Del' });
    await Post.insertMany([{ title: 'd1', author: author._id, tags: ['x'] }, { title: 'd2', author: author._id, tags: ['y'] }]);
    expect(await Post.countDocuments({ author: author._id })).to.equal(2);
    expect((await Post.distinct('tags', { author: author._id })).sort()).to.deep.equal(['x', 'y']);
    expect(await Post.exists({ title: 'd1' })).to.not.equal(null);
    const r = await Post.deleteMany({ author: author._id });
    expect(r.deletedCount).to.equal(2);
    expect(await Post.exists({ title: 'd1' })).to.equal(null);
  });
});
