/**
 * An error the stand-in answers in AWS IoT's wire format (docs/aws-iot-facts.md#errors): an HTTP status,
 * header `x-amzn-ErrorType: <Name>:` and a JSON body `{"message": ...}`, plus extra members for some
 * exceptions (resourceId/resourceArn for ResourceAlreadyExistsException).
 */
export type ApiErrorName =
  | 'ResourceAlreadyExistsException'
  | 'ResourceNotFoundException'
  | 'DeleteConflictException'
  | 'InvalidRequestException'
  | 'ThrottlingException'
  | 'UnauthorizedException'
  | 'CertificateStateException'
  | 'VersionConflictException'
  | 'LimitExceededException'
  | 'MalformedPolicyException'
  | 'VersionsLimitExceededException'
  | 'CertificateValidationException'
  | 'CertificateConflictException'
  | 'RegistrationCodeValidationException'
  | 'SqlParseException'
  | 'ServiceUnavailableException'
  | 'InternalFailureException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'RequestEntityTooLargeException';

/** HTTP statuses from the service model (`error.httpStatusCode`), docs/aws-iot-facts.md#errors. */
export const API_ERROR_STATUS: Record<ApiErrorName, number> = {
  ResourceAlreadyExistsException: 409,
  ResourceNotFoundException: 404,
  DeleteConflictException: 409,
  InvalidRequestException: 400,
  ThrottlingException: 400,
  UnauthorizedException: 401,
  CertificateStateException: 406,
  VersionConflictException: 409,
  LimitExceededException: 410,
  MalformedPolicyException: 400,
  VersionsLimitExceededException: 409,
  CertificateValidationException: 400,
  CertificateConflictException: 409,
  RegistrationCodeValidationException: 400,
  SqlParseException: 400,
  ServiceUnavailableException: 503,
  InternalFailureException: 500,
  // not in the IoT model: generic AWS protocol-level errors
  SerializationException: 400,
  UnknownOperationException: 404,
  RequestEntityTooLargeException: 413,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly errorName: ApiErrorName,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = errorName;
    this.status = API_ERROR_STATUS[errorName];
  }

  /** The JSON body AWS sends: the message and any extra members. */
  body(): Record<string, string> {
    return { message: this.message, ...this.extra };
  }
}

export const invalid = (message: string): ApiError => new ApiError('InvalidRequestException', message);
export const notFound = (message: string): ApiError => new ApiError('ResourceNotFoundException', message);
