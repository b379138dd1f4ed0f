/** Tracks the receptive field (in input elements) and the jump (input elements per step) along one axis. */
export class ReceptiveField {
  size = 1;
  jump = 1;

  conv(kernel: number, dilation = 1): this {
    this.size += (kernel - 1) * dilation * this.jump;
    return this;
  }

  pool(size: number, stride = size): this {
    this.size += (size - 1) * this.jump;
    this.jump *= stride;
    return this;
  }

  up(factor: number): this {
    this.jump /= factor;
    return this;
  }
}
