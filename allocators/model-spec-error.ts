// ModelSpecError lives apart from the registry so that model modules can throw
// it while validating their params: the registry imports every model, so a
// model importing the registry would form a cycle that breaks whichever
// module is loaded first.

/** A bad model spec or parameter: the message lists what is valid. */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
}
