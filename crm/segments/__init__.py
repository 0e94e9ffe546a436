"""Customer segmentation: RFM scores from orders and payments, segments, and the dormant-customer job."""
