terraform {
  # 1.5: strcontains() in variable validations.
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.0: data.aws_region exposes `region` (`name` is deprecated).
      version = ">= 6.0, < 7.0"
    }
  }
}
