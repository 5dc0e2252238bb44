/** The path parameters of the /v1 routes and the console's pages, named as in their paths. */
export interface BrandParams {
  brandId: string
}

export interface WebhookParams extends BrandParams {
  id: string
}

export interface EventParams extends WebhookParams {
  eventId: string
}
