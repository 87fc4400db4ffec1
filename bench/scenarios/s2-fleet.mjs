export async function scenario2() { throw new Error("not written yet"); }
