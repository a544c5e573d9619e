import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  fromConnectError,
  httpStatusOf,
  invalidArgument,
  notFound,
  SoukError,
  toConnectError,
  unavailable,
} from "./errors.ts";

describe("error mapping", () => {
  it("keeps kind, code and fields across the wire form", () => {
    const original = invalidArgument("PAYMENTS_INVALID_CARD", "invalid card", [
      { field: "card.number", message: "fails Luhn" },
    ]);
    const wire = toConnectError(original);
    expect(wire.code).toBe(Code.InvalidArgument);
    // Rebuild from metadata only, as a remote caller would see it.
    const remote = new ConnectError(wire.rawMessage, wire.code, wire.metadata);
    const back = fromConnectError(remote);
    expect(back).toMatchObject({ kind: "invalid_argument", code: "PAYMENTS_INVALID_CARD", message: "invalid card" });
    expect(back.fields).toEqual([{ field: "card.number", message: "fails Luhn" }]);
  });

  it("hides unexpected errors behind INTERNAL without their message", () => {
    const wire = toConnectError(new TypeError("secret detail"));
    expect(wire.code).toBe(Code.Internal);
    expect(wire.rawMessage).toBe("internal error");
  });

  it("maps transport failures of a call to unavailable (503)", () => {
    const souk = fromConnectError(new ConnectError("connection refused", Code.Unavailable));
    expect(souk.kind).toBe("unavailable");
    expect(httpStatusOf(souk.kind)).toBe(503);
  });

  it("maps kinds to HTTP statuses", () => {
    expect(httpStatusOf(notFound("X", "x").kind)).toBe(404);
    expect(httpStatusOf(unavailable("X", "x").kind)).toBe(503);
    expect(httpStatusOf(new SoukError("conflict", "X", "x").kind)).toBe(409);
  });
});

describe("database data exceptions", () => {
  it("are the caller's bad input (400), not a 500", () => {
    const pgError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" });
    const souk = fromConnectError(toConnectError(pgError));
    expect(souk).toMatchObject({ kind: "invalid_argument", code: "INVALID_VALUE" });
    expect(souk.message).not.toContain("0x00");
  });
});

describe("database outages", () => {
  it("are unavailable (503, retried by sagas), not internal errors", () => {
    const outages = [
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:55432"), { code: "ECONNREFUSED" }),
      new Error("Connection terminated unexpectedly"),
    ];
    for (const outage of outages) {
      expect(fromConnectError(toConnectError(outage))).toMatchObject({
        kind: "unavailable",
        code: "DATABASE_UNAVAILABLE",
      });
    }
  });
});
