export async function scenario3() { throw new Error("not written yet"); }
