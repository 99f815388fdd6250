import { Inject } from '@nestjs/common';

/** Nest injection token of the service's validated config (a `BaseConfig` or an extension of it). */
export const CONFIG = Symbol.for('flywheel.platform.config');

/** `constructor(@InjectConfig() config: RegistryConfig)` */
export const InjectConfig = (): ParameterDecorator => Inject(CONFIG);
