import { expect } from "chai";
import { abortable, sleep } from "../../provider/engine/abortable";
import { rejection } from "../support/rejection";

describe("the one abortable wait", () => {
  it("ends a sleep at once with the signal's reason", async () => {
    const controller = new AbortController();
    const began = Date.now();
    const sleeping = sleep(10_000, controller.signal);
    controller.abort(new Error("told to stop"));
    expect((await rejection(sleeping)).message).to.equal("told to stop");
    expect(Date.now() - began).to.be.lessThan(1000);
  });

  it("undoes what the wait set up when aborted, and only then", async () => {
    const controller = new AbortController();
    const undone: string[] = [];
    const waiting = abortable<void>(controller.signal, () => () => undone.push("first"));
    let finish: () => void = () => undefined;
    const finished = abortable<void>(controller.signal, (resolve) => {
      finish = resolve;
      return () => undone.push("second");
    });
    finish();
    await finished;
    controller.abort();
    const error = await rejection(waiting);
    expect(error.name).to.equal("AbortError");
    expect(undone).to.deep.equal(["first"]);
  });

  it("does not start a wait whose signal has already aborted", async () => {
    let started = false;
    const error = await rejection(
      abortable<void>(AbortSignal.abort("gone"), () => {
        started = true;
        return () => undefined;
      }),
    );
    expect([started, error.message, error.name]).to.deep.equal([false, "gone", "AbortError"]);
  });

  it("sleeps the time asked when nothing aborts", async () => {
    const began = Date.now();
    await sleep(30, new AbortController().signal);
    expect(Date.now() - began).to.be.at.least(25);
  });
});
